package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// importFixture writes a TLD's zone (gzip), registrations and registrars
// files into dir and returns their paths and the delegations of the zone
// ("name ns" pairs, sorted).
func importFixture(t *testing.T, dir string, names int) (zone, regs, registrars string, delegations []string) {
	t.Helper()
	var z, r strings.Builder
	z.WriteString("example.\t86400\tin\tsoa\ta.nic.example. hostmaster.nic.example. 2025010101 1800 900 604800 86400\n")
	z.WriteString("example.\t86400\tin\tns\ta.nic.example.\n")
	r.WriteString("\ufeffname,registrar_id,created,statuses,updated\r\n")
	add := func(name string, csvName, registrar string, ns ...string) {
		for _, n := range ns {
			fmt.Fprintf(&z, "%s.\t86400\tin\tns\t%s.\n", name, n)
			delegations = append(delegations, name+" "+n)
		}
		if csvName != "" {
			fmt.Fprintf(&r, "%s,%s,2024-05-01T10:00:00Z,\"clientTransferProhibited; clientDeleteProhibited\",\r\n", csvName, registrar)
		}
	}
	for i := range names {
		n := fmt.Sprintf("name%05d.example", i)
		add(n, n, []string{"1001", "1002"}[i%2], fmt.Sprintf("ns1.host%d.test", i%7), fmt.Sprintf("ns2.host%d.test", i%7))
	}
	add("phish.example", "PHISH.Example", "1002", "ns1.bulletproof.test", "ns2.bulletproof.test")
	add("xn--bcher-kva.example", "bücher.example", "1001", "ns1.host1.test")
	add("nocsv.example", "", "", "ns1.host1.test")
	r.WriteString("held.example,1002,2023-01-01,serverHold,2025-01-01\r\n")
	slices.Sort(delegations)

	zone = filepath.Join(dir, "example.zone.gz")
	fh, err := os.Create(zone)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(fh)
	gz.Write([]byte(z.String()))
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	regs = filepath.Join(dir, "registrations.csv")
	registrars = filepath.Join(dir, "registrars.csv")
	write(t, regs, r.String())
	write(t, registrars, "id,name,abuse_email,abuse_phone\n1001,\"Registrar One, Inc.\",abuse@one.example,+1.5555550100\n1002,Registrar Two,abuse@two.example,\n")
	return zone, regs, registrars, delegations
}

// squash collapses runs of spaces and tabs, for output laid out in columns.
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryImport loads the embedded registry from a zone file and CSV
// files through the binary: a bad file imports nothing and names its
// lines; a good set imports, the zone tldguard writes holds the same
// delegations, and a report on an imported name finds its registrar.
func TestRegistryImport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		dir := t.TempDir()
		zone, regs, registrars, delegations := importFixture(t, dir, 2500)
		mustTool(t, w, "tld", "add", "--name", "example")

		// A bad registrations file: nothing is imported, every problem named.
		bad := filepath.Join(dir, "bad.csv")
		good, _ := os.ReadFile(regs)
		write(t, bad, string(good)+"later.example,1001,2024-02-30,ok,\r\nother.test,1001,2024-01-01,ok,\r\nname00001.example,1001,2024-01-01,ok,\r\nlost.example,4242,2024-01-01,ok,\r\n")
		out, err := tool(t, w, "registry", "import", "--tld", "example", "--zone", zone, "--registrations", bad, "--registrars", registrars)
		for _, want := range []string{"nothing was imported: 4 problems in the import files:",
			bad + ` line 2505: created "2024-02-30": want an RFC 3339 time`,
			bad + " line 2506: other.test is not in example",
			bad + " line 2507: name00001.example is on line 3 already",
			bad + " line 2508: registrar 4242 of lost.example is not in the registrars file or the registrar table"} {
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("bad import: err %v, want %q in\n%s", err, want, out)
			}
		}
		if out := mustTool(t, w, "tld", "list"); !strings.Contains(out, "example\t0 registrations") {
			t.Errorf("a refused import wrote something: %s", out)
		}

		out = mustTool(t, w, "registry", "import", "--tld", "example", "--zone", zone, "--registrations", regs, "--registrars", registrars)
		for _, want := range []string{"imported 2,504 names into example in 2 batches",
			"names from the zone 2,503\n", "names from the CSV only 1 (registered, not in the zone)", "zone names without a CSV row 1 (imported without a registrar)",
			"names replaced 0\n", "registrars 2 (2 new)",
			"warning: 1 name of the zone has no row in " + regs + " and no registrar (the first is nocsv.example)"} {
			if !strings.Contains(squash(out), want) {
				t.Errorf("import output lacks %q:\n%s", want, out)
			}
		}

		// The zone tldguard writes holds the same delegations.
		var got []string
		for _, line := range strings.Split(mustTool(t, w, "registry", "zone", "--tld", "example"), "\n") {
			f := strings.Split(line, "\t")
			if len(f) == 5 && f[3] == "ns" {
				got = append(got, strings.TrimSuffix(f[0], ".")+" "+strings.TrimSuffix(f[4], "."))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, delegations) {
			t.Errorf("registry zone wrote %d delegations, the zone had %d; first written %q", len(got), len(delegations), got[:min(3, len(got))])
		}

		// Again: refused without --replace, replaced with it.
		out, err = tool(t, w, "registry", "import", "--tld", "example", "--zone", zone, "--registrations", regs)
		if err == nil || !strings.Contains(out, "nothing was imported: 2504 of the names are registered already (the first is held.example), and the load does not replace registrations: use --replace to replace them") {
			t.Errorf("second import without --replace: %v\n%s", err, out)
		}
		out = mustTool(t, w, "registry", "import", "--tld", "example", "--zone", zone, "--registrations", regs, "--replace")
		if !strings.Contains(squash(out), "names replaced 2,504") {
			t.Errorf("import --replace:\n%s", out)
		}
		mustTool(t, w, "audit", "verify")

		// A report on imported names finds their registrars.
		reporter := lastLine(mustTool(t, w, "reporter", "add", "--name", "Notifier", "--kind", "trusted_notifier"))
		analyst := lastLine(mustTool(t, w, "user", "add", "--email", "ann@nic.example", "--role", "analyst", "--token"))
		srv := startServer(t, w)
		for name, want := range map[string]string{"https://login.phish.example/": "1002 Registrar Two", "bücher.example": "1001 Registrar One, Inc."} {
			var receipt struct {
				Cases []struct{ ID int64 } `json:"cases"`
			}
			body := fmt.Sprintf(`{"threat_type":"phishing","names":[%q]}`, name)
			if code := apiCall(t, "POST", srv.url("/api/v1/reports"), reporter, body, &receipt); code != http.StatusAccepted || len(receipt.Cases) != 1 {
				t.Fatalf("report on %s: %d %+v", name, code, receipt)
			}
			var c struct {
				Registered    bool   `json:"registered"`
				RegistrarID   string `json:"registrar_id"`
				RegistrarName string `json:"registrar_name"`
			}
			apiCall(t, "GET", srv.url(fmt.Sprintf("/api/v1/cases/%d", receipt.Cases[0].ID)), analyst, "", &c)
			if got := c.RegistrarID + " " + c.RegistrarName; !c.Registered || got != want {
				t.Errorf("case on %s: registered %v, registrar %q; want %q", name, c.Registered, got, want)
			}
		}
	})
}

// apiCall sends a request with a bearer token and decodes the JSON answer.
func apiCall(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %d, %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode
}
