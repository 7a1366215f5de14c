package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoCreds reads the tokens the demo prints on its first run.
func demoCreds(t *testing.T, srv *server) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s+(admin|analyst|approver|auditor|law_enforcement|government|trusted_notifier|registrar|public)\s.*token (tg[ur]_\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		m := re.FindAllStringSubmatch(srv.output(), -1)
		if len(m) >= 9 {
			creds := map[string]string{}
			for _, x := range m {
				creds[x[1]] = x[2]
			}
			return creds
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the demo did not print its credentials:\n%s", srv.output())
	return nil
}

// call sends a JSON request with a bearer token and decodes the answer.
func call(t *testing.T, srv *server, method, path, token, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.url(path), rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

type actionView struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Kind   string `json:"kind"`
	Result string `json:"result"`
}

func waitAction(t *testing.T, srv *server, token string, id int64, state string) actionView {
	t.Helper()
	return waitActionFor(t, srv, token, id, state, 30*time.Second)
}

func waitActionFor(t *testing.T, srv *server, token string, id int64, state string, wait time.Duration) actionView {
	t.Helper()
	var a actionView
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		call(t, srv, "GET", fmt.Sprintf("/api/v1/actions/%d", id), token, "", &a)
		if a.State == state {
			return a
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("action %d is %q, not %q, after %s:\n%s", id, a.State, state, wait, srv.output())
	return a
}

// TestActionsOverAPI walks the Framework's flow through the real binary:
// proposals with their dry-run, a hold proposed and approved (never by its
// proposer), carried out by the job runner, a referral the right registrar
// sees and answers, and a release.
func TestActionsOverAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		srv := startServer(t, w, "demo", "--names", "200")
		creds := demoCreds(t, srv)

		// Case 1 is the demo's urgent law-enforcement phishing report.
		var tri struct {
			Classification struct {
				Classification string   `json:"classification"`
				Reasons        []string `json:"reasons"`
			} `json:"classification"`
			Proposals []struct {
				Kind   string   `json:"kind"`
				DryRun []string `json:"dry_run"`
			} `json:"proposals"`
		}
		if code := call(t, srv, "GET", "/api/v1/cases/1/proposals", creds["analyst"], "", &tri); code != 200 || len(tri.Proposals) == 0 || tri.Proposals[0].Kind != "hold" {
			t.Fatalf("proposals: %d %+v", code, tri)
		}
		var a actionView
		if code := call(t, srv, "POST", "/api/v1/cases/1/actions", creds["analyst"], `{"kind":"hold","reason":"LE request, kit confirmed"}`, &a); code != 201 || a.State != "proposed" {
			t.Fatalf("propose: %d %+v", code, a)
		}
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/approve", a.ID), creds["analyst"], "", nil); code != 403 {
			t.Errorf("an analyst approving: %d", code)
		}
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/approve", a.ID), creds["approver"], `{"note":"ok"}`, nil); code != 200 {
			t.Fatalf("approve: %d", code)
		}
		done := waitAction(t, srv, creds["auditor"], a.ID, "done")
		if !strings.Contains(done.Result, "updated") {
			t.Errorf("hold result %q", done.Result)
		}
		zone := mustTool(t, w, "registry", "zone", "--tld", "example")
		if strings.Contains(zone, sampleName(4)+".") {
			t.Errorf("the held name %s is still in the zone", sampleName(4))
		}

		// Undo: the release needs its own approval, then the name is back.
		var rel actionView
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/undo", a.ID), creds["analyst"], `{"reason":"court order lifted"}`, &rel); code != 201 || rel.Kind != "release" {
			t.Fatalf("undo: %d %+v", code, rel)
		}
		call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/approve", rel.ID), creds["admin"], "", nil)
		waitAction(t, srv, creds["auditor"], rel.ID, "done")
		if zone := mustTool(t, w, "registry", "zone", "--tld", "example"); !strings.Contains(zone, sampleName(4)+".") {
			t.Errorf("the released name %s is not back in the zone", sampleName(4))
		}

		// A referral on the case of the demo registrar's own name.
		var c struct {
			Cases []struct {
				ID          int64  `json:"id"`
				RegistrarID string `json:"registrar_id"`
			} `json:"cases"`
		}
		call(t, srv, "GET", "/api/v1/cases?registrar=90001&threat_type=malware", creds["analyst"], "", &c)
		var caseID int64
		if len(c.Cases) == 0 {
			// File one on a name Alpha sponsors.
			var rec struct {
				Cases []struct {
					ID          int64  `json:"id"`
					RegistrarID string `json:"registrar_id"`
				} `json:"cases"`
			}
			for i := 0; i < 200 && caseID == 0; i++ {
				call(t, srv, "POST", "/api/v1/reports", creds["trusted_notifier"], fmt.Sprintf(`{"threat_type":"malware","names":["%s"]}`, sampleName(i)), &rec)
				var got struct {
					RegistrarID string `json:"registrar_id"`
				}
				call(t, srv, "GET", fmt.Sprintf("/api/v1/cases/%d", rec.Cases[0].ID), creds["analyst"], "", &got)
				if got.RegistrarID == "90001" {
					caseID = rec.Cases[0].ID
				}
			}
		} else {
			caseID = c.Cases[0].ID
		}
		if caseID == 0 {
			t.Fatal("no demo name sponsored by registrar 90001")
		}
		var ref actionView
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", caseID), creds["analyst"], `{"kind":"refer_registrar"}`, &ref); code != 201 {
			t.Fatalf("refer: %d", code)
		}
		waitAction(t, srv, creds["auditor"], ref.ID, "done")
		var inbox struct {
			Referrals []struct {
				Referral actionView `json:"referral"`
			} `json:"referrals"`
		}
		if code := call(t, srv, "GET", "/api/v1/referrals", creds["registrar"], "", &inbox); code != 200 || len(inbox.Referrals) == 0 || inbox.Referrals[0].Referral.ID != ref.ID {
			t.Fatalf("registrar inbox: %d %+v", code, inbox)
		}
		if code := call(t, srv, "GET", "/api/v1/referrals", creds["trusted_notifier"], "", nil); code != 403 {
			t.Errorf("a notifier reading referrals: %d", code)
		}
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/referrals/%d/answer", ref.ID), creds["registrar"], `{"outcome":"mitigated","detail":"suspended the hosting account"}`, nil); code != 200 {
			t.Errorf("answer: %d", code)
		}
		if code := call(t, srv, "GET", "/api/v1/blocked/free-name.example", creds["registrar"], "", nil); code != 404 {
			t.Errorf("an unblocked name: %d", code)
		}
		if err := srv.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		if out, err := tool(t, w, "audit", "verify"); err != nil {
			t.Errorf("audit verify: %v\n%s", err, out)
		}
	})
}

// TestApprovedActionSurvivesKill: the server is killed with SIGKILL right
// after an approval; after a restart the action is carried out exactly
// once.
func TestApprovedActionSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		srv := startServer(t, w, "demo", "--names", "100")
		creds := demoCreds(t, srv)
		var a actionView
		if code := call(t, srv, "POST", "/api/v1/cases/1/actions", creds["analyst"], `{"kind":"lock"}`, &a); code != 201 {
			t.Fatalf("propose: %d", code)
		}
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/approve", a.ID), creds["approver"], "", nil); code != 200 {
			t.Fatalf("approve: %d", code)
		}
		srv.stop(t, syscall.SIGKILL)

		srv = startServer(t, w, "serve")
		// If the killed server had claimed the job, its claim must expire
		// (30 s) before this one takes the job over.
		waitActionFor(t, srv, creds["auditor"], a.ID, "done", 90*time.Second)
		var detail struct {
			Events []struct {
				Action  string `json:"action"`
				Subject string `json:"subject"`
			} `json:"events"`
		}
		call(t, srv, "GET", "/api/v1/cases/1", creds["auditor"], "", &detail)
		n := 0
		for _, e := range detail.Events {
			if e.Action == "action.done" && e.Subject == fmt.Sprintf("action:%d", a.ID) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("action %d was recorded done %d times", a.ID, n)
		}
		// Let the restarted runner look again: still once.
		time.Sleep(time.Second)
		call(t, srv, "GET", "/api/v1/cases/1", creds["auditor"], "", &detail)
		m := 0
		for _, e := range detail.Events {
			if e.Action == "action.done" {
				m++
			}
		}
		if m != 1 {
			t.Errorf("%d action.done events on the case, want 1", m)
		}
		srv.stop(t, syscall.SIGTERM)
	})
}
