package http

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// TestErrorKindsMapToStatus runs every error kind through a handler and
// checks the status, the problem and the headers that go with it.
func TestErrorKindsMapToStatus(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		status int
		header string
	}{
		{tldguard.EINVALID, 400, ""},
		{tldguard.EUNAUTHORIZED, 401, "WWW-Authenticate"},
		{tldguard.EFORBIDDEN, 403, ""},
		{tldguard.ENOTFOUND, 404, ""},
		{tldguard.ECONFLICT, 409, ""},
		{tldguard.ETOOLARGE, 413, ""},
		{tldguard.EUNPROCESSABLE, 422, ""},
		{tldguard.ERATELIMITED, 429, "Retry-After"},
		{tldguard.EUNAVAILABLE, 503, ""},
		{tldguard.EINTERNAL, 500, ""},
	} {
		f := newFixture(t)
		f.audit.VerifyChainFn = func(context.Context, *tldguard.ChainHead) (*tldguard.ChainReport, error) {
			return nil, tldguard.FieldErrorf(tc.kind, "head", "message for %s", tc.kind)
		}
		w := f.do("GET", "/api/v1/audit/verify", "", as(tldguard.RoleAuditor)...)
		field := "head"
		if tc.kind == tldguard.EINTERNAL {
			field = ""
		}
		p := wantProblem(t, w, tc.status, field)
		if tc.header != "" && w.Header().Get(tc.header) == "" {
			t.Errorf("%s: no %s header", tc.kind, tc.header)
		}
		if p.Kind != tc.kind || p.Type != "about:blank" || p.Title != http.StatusText(tc.status) {
			t.Errorf("%s: problem %+v", tc.kind, p)
		}
		if tc.kind != tldguard.EINTERNAL && p.Detail != "message for "+tc.kind {
			t.Errorf("%s: detail %q", tc.kind, p.Detail)
		}
	}
}

// TestInternalErrorIsLoggedNotShown checks neither an internal error's text
// nor its message reaches the caller, and both reach the log with the
// request id the caller sees.
func TestInternalErrorIsLoggedNotShown(t *testing.T) {
	for _, err := range []error{
		tldguard.Internal(errors.New("disk /var/lib/tldguard full"), "insert case"),
		&tldguard.Error{Kind: tldguard.EINTERNAL, Message: "disk /var/lib/tldguard full"},
		errors.New("disk /var/lib/tldguard full"), // not a tldguard.Error at all
	} {
		f := newFixture(t)
		f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) { return nil, err }
		w := f.do("GET", "/api/v1/cases/1", "", as(tldguard.RoleAnalyst)...)
		p := wantProblem(t, w, http.StatusInternalServerError, "")
		if strings.Contains(w.Body.String(), "disk") {
			t.Errorf("the caller sees internal text: %s", w.Body)
		}
		if p.RequestID == "" || p.RequestID != w.Header().Get("X-Request-Id") {
			t.Errorf("request_id %q, header %q", p.RequestID, w.Header().Get("X-Request-Id"))
		}
		logs := f.logs.String()
		if !strings.Contains(logs, "disk /var/lib/tldguard full") || !strings.Contains(logs, p.RequestID) {
			t.Errorf("the log lacks the error or the request id:\n%s", logs)
		}
	}
}

func TestPanicIsInternalError(t *testing.T) {
	f := newFixture(t)
	f.cases.CaseFn = func(context.Context, int64) (*tldguard.CaseDetail, error) { panic("boom in the store") }
	w := f.do("GET", "/api/v1/cases/1", "", as(tldguard.RoleAnalyst)...)
	wantProblem(t, w, http.StatusInternalServerError, "")
	if strings.Contains(w.Body.String(), "boom") || !strings.Contains(f.logs.String(), "boom in the store") {
		t.Errorf("body %s; log %s", w.Body, f.logs.String())
	}
}

func TestMissingOrBadCredentials(t *testing.T) {
	f := newFixture(t)
	for _, hdr := range [][]string{
		nil,
		{"Authorization", "Bearer tok-nobody"},
		{"Authorization", "Basic dXNlcjpwdw=="},
		{"Authorization", "Bearer "},
	} {
		w := f.do("GET", "/api/v1/cases", "", hdr...)
		p := wantProblem(t, w, http.StatusUnauthorized, "")
		challenge := w.Header().Get("WWW-Authenticate")
		if !strings.HasPrefix(challenge, `Bearer realm="tldguard"`) || (hdr != nil) != strings.Contains(challenge, "invalid_token") {
			t.Errorf("%v: WWW-Authenticate %q", hdr, challenge)
		}
		if p.Kind != tldguard.EUNAUTHORIZED {
			t.Errorf("%v: kind %q", hdr, p.Kind)
		}
	}
}

func TestPosition(t *testing.T) {
	body := []byte("ab\ncd\nef")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {7, 3, 2}, {8, 3, 3}, {99, 3, 3}, {-1, 1, 1}} {
		if l, c := position(body, tc.off); l != tc.line || c != tc.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}
