package main

import (
	"encoding/json"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var smtpRE = regexp.MustCompile(`on smtp://(\S+)`)

// TestMailIntake runs the real binary: serve with the SMTP listener takes
// a report over SMTP, "mail import" files a directory of messages beside
// it, and the cases show in the API.
func TestMailIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		analyst := lastLine(mustTool(t, w, "user", "add", "--email", "ana@nic.example", "--role", "analyst", "--token"))
		srv := startServer(t, w, "serve", "--smtp-addr", "127.0.0.1:0", "--smtp-recipients", "abuse@nic.example", "--own-addresses", "nic.example")
		var smtpAddr string
		for deadline := time.Now().Add(30 * time.Second); smtpAddr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := smtpRE.FindStringSubmatch(srv.output()); m != nil {
				smtpAddr = m[1]
			}
		}
		if smtpAddr == "" {
			t.Fatalf("no SMTP listener:\n%s", srv.output())
		}
		msg := "From: r@mail.test\r\nTo: abuse@nic.example\r\nSubject: phishing\r\nMessage-ID: <cli-1@mail.test>\r\n\r\nhxxps://login[.]smtp-case[.]example/\r\n"
		if err := smtp.SendMail(smtpAddr, nil, "r@mail.test", []string{"abuse@nic.example"}, []byte(msg)); err != nil {
			t.Fatalf("send: %v\n%s", err, srv.output())
		}
		if err := smtp.SendMail(smtpAddr, nil, "r@mail.test", []string{"someone@else.test"}, []byte(msg)); err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("relay attempt: %v", err)
		}

		dir := t.TempDir()
		for _, name := range []string{"imported-one", "imported-two"} {
			body := "From: r@mail.test\r\nSubject: malware\r\nMessage-ID: <imp-" + name + "@mail.test>\r\n\r\nmalware at http://" + name + ".example/x.exe\r\n"
			os.WriteFile(filepath.Join(dir, name+".eml"), []byte(body), 0o644)
		}
		out := mustTool(t, w, "mail", "import", dir)
		if !strings.Contains(out, "2 messages: 2 stored, 0 stored before, 0 failed") {
			t.Errorf("mail import:\n%s", out)
		}
		out = mustTool(t, w, "mail", "import", dir)
		if !strings.Contains(out, "2 messages: 0 stored, 2 stored before, 0 failed") {
			t.Errorf("mail import again:\n%s", out)
		}

		req, _ := http.NewRequest("GET", srv.url("/api/v1/cases?limit=50"), nil)
		req.Header.Set("Authorization", "Bearer "+analyst)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Cases []struct {
				Domain     string `json:"domain"`
				ThreatType string `json:"threat_type"`
			} `json:"cases"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		got := map[string]string{}
		for _, c := range page.Cases {
			got[c.Domain] = c.ThreatType
		}
		for domain, threat := range map[string]string{"smtp-case.example": "phishing", "imported-one.example": "malware", "imported-two.example": "malware"} {
			if got[domain] != threat {
				t.Errorf("case for %s: %q, want %q (cases %v)", domain, got[domain], threat, got)
			}
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v\n%s", err, srv.output())
		}
	})
}

func TestMailUsage(t *testing.T) {
	w := where{"--data", t.TempDir()}
	if out, err := tool(t, w, "mail"); err == nil || !strings.Contains(out, "import") {
		t.Errorf("mail without a verb: %v %s", err, out)
	}
	if out, err := tool(t, w, "mail", "import"); err == nil || !strings.Contains(out, "FILE or DIR") {
		t.Errorf("mail import without a path: %v %s", err, out)
	}
	if out, err := tool(t, w, "serve", "--addr", "127.0.0.1:0", "--smtp-addr", "127.0.0.1:0"); err == nil || !strings.Contains(out, "--smtp-recipients") {
		t.Errorf("--smtp-addr without recipients: %v %s", err, out)
	}
}
