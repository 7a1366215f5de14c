package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// TestCLINotices: notices list shows the notice the relay refused, with
// why; notices retry puts it back in the outbox once, with the reason in
// the audit log.
func TestCLINotices(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	eachEngine(t, func(t *testing.T, w where) {
		mustTool(t, w, "tld", "add", "--name", "example")
		if out := mustTool(t, w, "notices", "list"); !strings.Contains(out, "no failed notices") {
			t.Errorf("empty outbox: %q", out)
		}
		store := openEngine(t, w)
		n := &tldguard.Notice{Kind: tldguard.NoticeAck, Status: tldguard.NoticeQueued, To: "hunters@phish.example", CreatedAt: time.Now()}
		err := store.Write(context.Background(), func(tx tldguard.Tx) error {
			if err := tx.QueueNotice(n); err != nil {
				return err
			}
			n.Status, n.Attempts, n.LastError = tldguard.NoticeFailed, 1, "550 5.1.1 no such mailbox"
			return tx.UpdateNotice(n)
		})
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(n.ID, 10)
		out := mustTool(t, w, "notices", "list")
		if !strings.Contains(out, "hunters@phish.example") || !strings.Contains(out, "no such mailbox") || !strings.Contains(out, "failed") {
			t.Errorf("notices list:\n%s", out)
		}
		var doc struct {
			Notices []struct {
				ID        int64  `json:"id"`
				Status    string `json:"status"`
				LastError string `json:"last_error"`
			} `json:"notices"`
		}
		if err := json.Unmarshal([]byte(mustTool(t, w, "notices", "list", "--json")), &doc); err != nil || len(doc.Notices) != 1 || doc.Notices[0].ID != n.ID {
			t.Errorf("notices list --json: %+v, %v", doc, err)
		}
		if _, err := tool(t, w, "notices", "retry", "--id", id); err == nil {
			t.Error("retry without a reason succeeded")
		}
		if out := mustTool(t, w, "notices", "retry", "--id", id, "--reason", "mailbox recreated"); !strings.Contains(out, "queued again") {
			t.Errorf("notices retry: %q", out)
		}
		if out, err := tool(t, w, "notices", "retry", "--id", id, "--reason", "again"); err == nil || !strings.Contains(out, "not failed") {
			t.Errorf("a second retry: %v\n%s", err, out)
		}
		if out := mustTool(t, w, "notices", "list", "--status", "queued"); !strings.Contains(out, "hunters@phish.example") {
			t.Errorf("queued notices:\n%s", out)
		}
		if out := mustTool(t, w, "notices", "list"); !strings.Contains(out, "no failed notices") {
			t.Errorf("failed notices after the retry:\n%s", out)
		}
		// tld add and the retry: the retry is in the chain.
		if out := mustTool(t, w, "audit", "verify"); !strings.Contains(out, "audit log intact: 2 events") {
			t.Errorf("audit verify: %s", out)
		}
	})
}
