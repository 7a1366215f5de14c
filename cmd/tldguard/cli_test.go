package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestToolsBesideServer: the operator adds people and reporters while the
// server runs on the same data, and their credentials work at once.
func TestToolsBesideServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		srv := startServer(t, w, "serve")

		out := mustTool(t, w, "user", "add", "--email", "ana@nic.example", "--role", "analyst", "--token")
		analyst := lastLine(out)
		if !strings.HasPrefix(analyst, "tgu_") {
			t.Fatalf("user add --token: last line %q\n%s", analyst, out)
		}
		out = mustTool(t, w, "user", "add", "--email", "bo@nic.example", "--role", "auditor")
		if pw := lastLine(out); len(pw) < 16 || strings.Contains(pw, " ") {
			t.Fatalf("user add: last line should be the password, got %q", pw)
		}
		reporter := lastLine(mustTool(t, w, "reporter", "add", "--name", "Metro Police", "--kind", "law_enforcement",
			"--verified-by", "ana@nic.example", "--verified-how", "called the switchboard"))
		if !strings.HasPrefix(reporter, "tgr_") {
			t.Fatalf("reporter add: last line %q", reporter)
		}

		post := func(token, body string) int {
			req, _ := http.NewRequest("POST", srv.url("/api/v1/reports"), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post(reporter, `{"threat_type":"malware","names":["bad.example"]}`); code != http.StatusAccepted {
			t.Errorf("new reporter's token: %d", code)
		}
		req, _ := http.NewRequest("GET", srv.url("/api/v1/cases"), nil)
		req.Header.Set("Authorization", "Bearer "+analyst)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("new analyst's token: %d", resp.StatusCode)
		}

		// Bad input names the problem and exits non-zero.
		out, err = tool(t, w, "user", "add", "--email", "x@nic.example", "--role", "wizard")
		if err == nil || !strings.Contains(out, "role") {
			t.Errorf("bad role: err %v, %s", err, out)
		}
		out, err = tool(t, w, "reporter", "add", "--name", "Bad", "--kind", "law_enforcement", "--verified-by", "ana")
		if err == nil || !strings.Contains(out, "verified-how") {
			t.Errorf("half a verification: err %v, %s", err, out)
		}
		// A hijacked reporter account is cut off from the command line.
		out = mustTool(t, w, "reporter", "list")
		if !strings.Contains(out, "Metro Police") {
			t.Fatalf("reporter list: %s", out)
		}
		mustTool(t, w, "reporter", "disable", "--id", "1", "--reason", "mailbox hijacked")
		time.Sleep(6 * time.Second) // the server trusts a resolved token for up to 5 s
		if code := post(reporter, `{"threat_type":"malware","names":["bad.example"]}`); code != http.StatusUnauthorized {
			t.Errorf("a disabled reporter's token: %d", code)
		}
		if out, err := tool(t, w, "reporter", "disable", "--id", "1"); err == nil || !strings.Contains(out, "--reason") {
			t.Errorf("disable without a reason: %v %s", err, out)
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
	})
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: code %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"serve"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--data") {
		t.Errorf("serve without a store: code %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "audit") {
		t.Errorf("help: code %d, %q", code, out.String())
	}
}
