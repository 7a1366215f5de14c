package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

// operator is the operator's own registry system, started in the test: it
// verifies every request's signature and replay window, keeps the names'
// state, applies each reference once, and misbehaves on request for some
// names.
type operator struct {
	*httptest.Server
	t    *testing.T
	mu   sync.Mutex
	regs map[string]*tldguard.RegistryState
	refs map[string]ApplyResponse // reference -> first answer
	seen map[string]bool          // signatures already used
	reqs []ApplyRequest
	// other is a second server, for redirects to another host.
	other *httptest.Server
}

func newOperator(t *testing.T) *operator {
	t.Helper()
	o := &operator{
		t:    t,
		regs: map[string]*tldguard.RegistryState{"phish.example": {Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example", "ns2.host.example"}, RegistrarID: "4242"}},
		refs: make(map[string]ApplyResponse),
		seen: make(map[string]bool),
	}
	o.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request reached another host after a redirect")
		writeJSON(w, 200, ApplyResponse{Applied: true})
	}))
	t.Cleanup(o.other.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apply", o.apply)
	mux.Handle("POST /old/apply", http.RedirectHandler("/apply", http.StatusPermanentRedirect))
	mux.HandleFunc("POST /lookup", o.lookup)
	o.Server = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// verified reads and checks a request; it answers and returns false when
// the request is refused.
func (o *operator) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", 400)
		return nil, false
	}
	if r.Header.Get("Content-Type") != "application/json" {
		writeJSON(w, 415, ErrorResponse{Error: "want application/json"})
		return nil, false
	}
	sig := r.Header.Get(SignatureHeader)
	if err := Verify(secret, sig, body, time.Now(), time.Minute); err != nil {
		writeJSON(w, 401, ErrorResponse{Error: tldguard.ErrorMessage(err)})
		return nil, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[sig] {
		writeJSON(w, 401, ErrorResponse{Error: "replayed signature"})
		return nil, false
	}
	o.seen[sig] = true
	return body, true
}

func (o *operator) apply(w http.ResponseWriter, r *http.Request) {
	body, ok := o.verified(w, r)
	if !ok {
		return
	}
	var req ApplyRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, 400, ErrorResponse{Error: err.Error()})
		return
	}
	if r.Header.Get("Idempotency-Key") != req.Reference {
		writeJSON(w, 400, ErrorResponse{Error: "Idempotency-Key differs from reference"})
		return
	}
	if req.AddStatuses == nil || req.RemoveStatuses == nil {
		writeJSON(w, 400, ErrorResponse{Error: "statuses must be arrays"})
		return
	}
	switch req.Domain {
	case "legal.example":
		writeJSON(w, 409, ErrorResponse{Error: "conflict", Detail: "the domain is under a court order and may not be changed"})
		return
	case "premium.example":
		writeJSON(w, 422, map[string]string{"message": "premium names need manual review"})
		return
	case "busy.example":
		w.Header().Set("Retry-After", "7")
		writeJSON(w, 429, ErrorResponse{Error: "slow down"})
		return
	case "broken.example":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(502)
		io.WriteString(w, "upstream EPP connection lost\n")
		return
	case "slow.example":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case "text.example":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "OK")
		return
	case "vague.example":
		writeJSON(w, 200, map[string]any{"detail": "done, probably"})
		return
	case "typed.example":
		writeJSON(w, 200, map[string]any{"applied": "yes"})
		return
	case "huge.example":
		writeJSON(w, 200, ApplyResponse{Applied: true, Detail: strings.Repeat("z", 64<<10)})
		return
	case "elsewhere.example":
		http.Redirect(w, r, o.other.URL+"/apply", http.StatusTemporaryRedirect)
		return
	case "seeother.example":
		http.Redirect(w, r, "/v2/apply", http.StatusSeeOther)
		return
	case "moved.example":
		writeJSON(w, 200, ApplyResponse{Applied: true, Detail: "applied at " + r.URL.Path})
		return
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	o.reqs = append(o.reqs, req)
	if prev, ok := o.refs[req.Reference]; ok {
		prev.Applied = false
		prev.Detail = "reference " + req.Reference + " already applied"
		writeJSON(w, 200, prev)
		return
	}
	st, ok := o.regs[req.Domain]
	if !ok {
		writeJSON(w, 404, ErrorResponse{Error: "no such domain"})
		return
	}
	before := clone(*st)
	after := clone(*st)
	for _, s := range req.AddStatuses {
		if !slices.Contains(after.Statuses, s) {
			after.Statuses = append(after.Statuses, s)
		}
	}
	after.Statuses = slices.DeleteFunc(after.Statuses, func(s string) bool { return slices.Contains(req.RemoveStatuses, s) })
	if req.NameServers != nil {
		after.NameServers = req.NameServers
	}
	resp := ApplyResponse{Applied: !reflect.DeepEqual(before, after), Before: before, After: after, Detail: "1000 Command completed successfully"}
	*st = after
	o.refs[req.Reference] = resp
	writeJSON(w, 200, resp)
}

func clone(s tldguard.RegistryState) tldguard.RegistryState {
	s.Statuses = slices.Clone(s.Statuses)
	s.NameServers = slices.Clone(s.NameServers)
	return s
}

func (o *operator) lookup(w http.ResponseWriter, r *http.Request) {
	body, ok := o.verified(w, r)
	if !ok {
		return
	}
	var req LookupRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Action != "lookup" {
		writeJSON(w, 400, ErrorResponse{Error: "bad lookup"})
		return
	}
	switch req.Domain {
	case "wrong.example":
		writeJSON(w, 200, LookupResponse{Domain: "other.example"})
		return
	case "baddate.example":
		writeJSON(w, 200, map[string]any{"domain": "baddate.example", "created_at": "last tuesday"})
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.regs[req.Domain]
	if !ok {
		writeJSON(w, 404, ErrorResponse{Error: "no such domain"})
		return
	}
	writeJSON(w, 200, LookupResponse{
		Domain: strings.ToUpper(req.Domain), RegistrarID: st.RegistrarID, RegistrarName: "Example Registrar, Inc.",
		Statuses: st.Statuses, NameServers: st.NameServers,
		CreatedAt: time.Date(2025, 12, 24, 10, 0, 0, 0, time.FixedZone("", 3600)),
	})
}

func newAdapter(t *testing.T, o *operator, edit func(*Config)) *Adapter {
	t.Helper()
	cfg := Config{ApplyURL: o.URL + "/apply", LookupURL: o.URL + "/lookup", Secret: secret, Timeout: 2 * time.Second, MaxResponseBytes: 16 << 10}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestApplyAndIdempotency(t *testing.T) {
	o := newOperator(t)
	a := newAdapter(t, o, nil)
	ctx := context.Background()
	hold := tldguard.Change{Kind: tldguard.ActionHold, Domain: "Phish.Example.", AddStatuses: []string{tldguard.StatusServerHold}, Reference: "tldguard-action-42"}

	res, err := a.Apply(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	want := &tldguard.ChangeResult{
		Applied: true,
		Before:  tldguard.RegistryState{Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example", "ns2.host.example"}, RegistrarID: "4242"},
		After:   tldguard.RegistryState{Statuses: []string{"ok", "serverHold"}, NameServers: []string{"ns1.host.example", "ns2.host.example"}, RegistrarID: "4242"},
		Detail:  "HTTP 200: 1000 Command completed successfully",
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("first Apply:\n got %+v\nwant %+v", res, want)
	}

	// The same reference again: the receiver reports applied=false and
	// the adapter passes it through.
	res, err = a.Apply(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied || !strings.Contains(res.Detail, "already applied") || !reflect.DeepEqual(res.After, want.After) {
		t.Errorf("second Apply with the same reference: %+v, want applied=false and the same state", res)
	}

	// What went over the wire.
	o.mu.Lock()
	got := o.reqs[0]
	o.mu.Unlock()
	if got.Action != "hold" || got.Domain != "phish.example" || got.Reference != "tldguard-action-42" ||
		!reflect.DeepEqual(got.AddStatuses, []string{"serverHold"}) || got.RemoveStatuses == nil || len(got.RemoveStatuses) != 0 ||
		got.NameServers != nil || got.Timestamp.IsZero() || len(got.Nonce) < 16 {
		t.Errorf("request on the wire: %+v", got)
	}

	// A redirect replaces the name servers; a release clears the hold.
	res, err = a.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: []string{"sinkhole1.nic.example"}, Reference: "tldguard-action-43"})
	if err != nil || !res.Applied || !reflect.DeepEqual(res.After.NameServers, []string{"sinkhole1.nic.example"}) {
		t.Errorf("redirect: %+v, %v", res, err)
	}
	res, err = a.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", RemoveStatuses: []string{"serverHold"}, Reference: "tldguard-action-44"})
	if err != nil || !res.Applied || !reflect.DeepEqual(res.After.Statuses, []string{"ok"}) {
		t.Errorf("release: %+v, %v", res, err)
	}
	// A second release under a new reference finds nothing to do.
	res, err = a.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", RemoveStatuses: []string{"serverHold"}, Reference: "tldguard-action-45"})
	if err != nil || res.Applied {
		t.Errorf("release of a released name: %+v, %v; want applied=false", res, err)
	}
}

func TestApplyErrors(t *testing.T) {
	o := newOperator(t)
	a := newAdapter(t, o, func(cfg *Config) { cfg.Timeout = 200 * time.Millisecond })
	ctx := context.Background()
	for _, tc := range []struct {
		domain, kind, msg string
		retryAfter        time.Duration
	}{
		{"nosuch.example", tldguard.ENOTFOUND, "holds no domain nosuch.example (HTTP 404: no such domain)", 0},
		{"legal.example", tldguard.ECONFLICT, "HTTP 409: the domain is under a court order", 0},
		{"premium.example", tldguard.EUNPROCESSABLE, "HTTP 422: premium names need manual review", 0},
		{"busy.example", tldguard.EUNAVAILABLE, "HTTP 429: slow down); retry after 7s", 7 * time.Second},
		{"broken.example", tldguard.EUNAVAILABLE, "HTTP 502: upstream EPP connection lost", 0},
		{"slow.example", tldguard.EUNAVAILABLE, "did not answer within 200ms; the change may have been made", 0},
		{"text.example", tldguard.EUNPROCESSABLE, `content type "text/plain"`, 0},
		{"vague.example", tldguard.EUNPROCESSABLE, `no "applied" member`, 0},
		{"typed.example", tldguard.EUNPROCESSABLE, "member applied: got a JSON string", 0},
		{"huge.example", tldguard.EUNPROCESSABLE, "larger than 16384 bytes", 0},
		{"elsewhere.example", tldguard.EUNPROCESSABLE, "HTTP 307 to \"" + o.other.URL, 0},
		{"seeother.example", tldguard.EUNPROCESSABLE, "HTTP 303", 0},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			_, err := a.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: tc.domain, AddStatuses: []string{"serverHold"}, Reference: "ref-" + tc.domain})
			if tldguard.ErrorKind(err) != tc.kind {
				t.Fatalf("error %v, want kind %s", err, tc.kind)
			}
			if msg := tldguard.ErrorMessage(err); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q\nwant it to contain %q", msg, tc.msg)
			}
			if got := RetryAfter(err); got != tc.retryAfter {
				t.Errorf("RetryAfter %v, want %v", got, tc.retryAfter)
			}
		})
	}

	// A 308 on the same host is followed with the body and signature.
	a = newAdapter(t, o, func(cfg *Config) { cfg.ApplyURL = o.URL + "/old/apply" })
	res, err := a.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "moved.example", Reference: "ref-moved"})
	if err != nil || res.Detail != "HTTP 200: applied at /apply" {
		t.Errorf("Apply through a 308: %+v, %v", res, err)
	}
}

func TestApplyInvalid(t *testing.T) {
	o := newOperator(t)
	a := newAdapter(t, o, nil)
	for _, tc := range []struct {
		c     tldguard.Change
		field string
	}{
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"}, "reference"},
		{tldguard.Change{Kind: tldguard.ActionReferRegistrar, Domain: "phish.example", Reference: "r"}, "kind"},
		{tldguard.Change{Kind: "explode", Domain: "phish.example", Reference: "r"}, "kind"},
		{tldguard.Change{Kind: tldguard.ActionHold, Reference: "r"}, "domain"},
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish example", Reference: "r"}, "domain"},
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "example", Reference: "r"}, "domain"},
	} {
		_, err := a.Apply(context.Background(), tc.c)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != tc.field {
			t.Errorf("Apply(%+v): %v, want EINVALID on %s", tc.c, err, tc.field)
		}
	}
	if len(o.reqs) != 0 {
		t.Errorf("%d invalid changes reached the registry", len(o.reqs))
	}
}

func TestSignatureRefused(t *testing.T) {
	o := newOperator(t)
	ctx := context.Background()
	hold := tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", AddStatuses: []string{"serverHold"}, Reference: "r1"}

	wrong := newAdapter(t, o, func(cfg *Config) { cfg.Secret = []byte(strings.Repeat("w", 32)) })
	_, err := wrong.Apply(ctx, hold)
	if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE || !strings.Contains(err.Error(), "HTTP 401: the signature does not match the body") {
		t.Errorf("wrong secret: %v", err)
	}

	// A sender whose clock is ten minutes behind is refused as stale.
	late := newAdapter(t, o, func(cfg *Config) { cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } })
	_, err = late.Lookup(ctx, "phish.example")
	if tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE || !strings.Contains(err.Error(), "more than 1m0s") {
		t.Errorf("stale timestamp: %v", err)
	}
	if len(o.reqs) != 0 {
		t.Errorf("a refused request changed the registry")
	}
}

// TestReplay captures a signed request and sends it again: the receiver's
// replay check refuses it, now and after the window.
func TestReplay(t *testing.T) {
	o := newOperator(t)
	var captured *http.Request
	var capturedBody []byte
	tap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		capturedBody, _ = io.ReadAll(r.Body)
		captured = r
		writeJSON(w, 200, ApplyResponse{Applied: true})
	}))
	defer tap.Close()
	a := newAdapter(t, o, func(cfg *Config) { cfg.ApplyURL = tap.URL + "/apply" })
	if _, err := a.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", AddStatuses: []string{"serverHold"}, Reference: "r"}); err != nil {
		t.Fatal(err)
	}
	send := func() int {
		req, _ := http.NewRequest("POST", o.URL+"/apply", strings.NewReader(string(capturedBody)))
		req.Header = captured.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(); code != 200 {
		t.Fatalf("first delivery of the captured request: HTTP %d", code)
	}
	if code := send(); code != 401 {
		t.Errorf("replay of the captured request: HTTP %d, want 401", code)
	}
	// Outside the window, Verify itself refuses it.
	err := Verify(secret, captured.Header.Get(SignatureHeader), capturedBody, time.Now().Add(2*time.Minute), time.Minute)
	if tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
		t.Errorf("Verify after the window: %v", err)
	}
}

func TestLookup(t *testing.T) {
	o := newOperator(t)
	a := newAdapter(t, o, nil)
	ctx := context.Background()
	reg, err := a.Lookup(ctx, "PHISH.example")
	if err != nil {
		t.Fatal(err)
	}
	want := &tldguard.Registration{
		Name: "phish.example", TLD: "example", RegistrarID: "4242", RegistrarName: "Example Registrar, Inc.",
		Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example", "ns2.host.example"},
		CreatedAt: time.Date(2025, 12, 24, 9, 0, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(reg, want) {
		t.Errorf("Lookup:\n got %+v\nwant %+v", reg, want)
	}
	for _, tc := range []struct{ name, kind, msg string }{
		{"nosuch.example", tldguard.ENOTFOUND, "holds no domain nosuch.example"},
		{"wrong.example", tldguard.EUNPROCESSABLE, `about "other.example"`},
		{"baddate.example", tldguard.EUNPROCESSABLE, `created_at: "last tuesday" is not an RFC 3339 date`},
		{"not a name", tldguard.EINVALID, "A-label"},
		{"example", tldguard.EINVALID, "not a registered domain name"},
	} {
		_, err := a.Lookup(ctx, tc.name)
		if tldguard.ErrorKind(err) != tc.kind || !strings.Contains(tldguard.ErrorMessage(err), tc.msg) {
			t.Errorf("Lookup(%s): %v, want %s containing %q", tc.name, err, tc.kind, tc.msg)
		}
	}
}

// One URL may serve both: the receiver tells them apart by "action".
func TestLookupURLDefaultsToApplyURL(t *testing.T) {
	var actions []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		actions = append(actions, fmt.Sprint(m["action"]))
		writeJSON(w, 200, map[string]any{"domain": m["domain"], "applied": true})
	}))
	defer srv.Close()
	a, err := New(Config{ApplyURL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	a.Lookup(context.Background(), "a.example")
	a.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionLock, Domain: "a.example", AddStatuses: tldguard.LockStatuses, Reference: "r"})
	if !reflect.DeepEqual(actions, []string{"lookup", "lock"}) {
		t.Errorf("actions %v", actions)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a, err := New(Config{ApplyURL: url + "/apply", Secret: secret, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "a.example", Reference: "r"})
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("Apply to a closed port: %v, want EUNAVAILABLE", err)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Secret: secret}, "apply_url"},
		{Config{ApplyURL: "registry.example/hook", Secret: secret}, "apply_url"},
		{Config{ApplyURL: "https://u:p@registry.example/hook", Secret: secret}, "apply_url"},
		{Config{ApplyURL: "https://registry.example/hook", LookupURL: "ftp://x", Secret: secret}, "lookup_url"},
		{Config{ApplyURL: "https://registry.example/hook", Secret: []byte("short")}, "secret"},
		{Config{ApplyURL: "https://registry.example/hook", Secret: secret, Timeout: -1}, ""},
	} {
		_, err := New(tc.cfg)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != tc.field {
			t.Errorf("New(%+v): %v, want EINVALID on %q", tc.cfg, err, tc.field)
		}
	}
}
