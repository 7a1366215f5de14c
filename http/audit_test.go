package http

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

func TestVerifyAudit(t *testing.T) {
	f := newFixture(t)
	var got *tldguard.ChainHead
	f.audit.VerifyChainFn = func(_ context.Context, h *tldguard.ChainHead) (*tldguard.ChainReport, error) {
		got = h
		return &tldguard.ChainReport{OK: false, Events: 12, Head: "12:ab", Broken: "event 7 was altered", BrokenAt: 7}, nil
	}
	head := "12:" + strings.Repeat("ab", 32)
	w := f.do("GET", "/api/v1/audit/verify?head="+head, "", as(tldguard.RoleAuditor)...)
	if w.Code != http.StatusOK || got == nil || got.Seq != 12 {
		t.Fatalf("status %d, head %+v: %s", w.Code, got, w.Body)
	}
	if m := decode(t, w); m["ok"] != false || m["broken_at"] != 7.0 || m["events"] != 12.0 {
		t.Errorf("report = %v", m)
	}
	got = nil
	if w := f.do("GET", "/api/v1/audit/verify", "", as(tldguard.RoleAdmin)...); w.Code != http.StatusOK || got != nil {
		t.Errorf("without head: status %d, head %+v", w.Code, got)
	}
	wantProblem(t, f.do("GET", "/api/v1/audit/verify?head=12:zz", "", as(tldguard.RoleAuditor)...), http.StatusBadRequest, "head")
}
