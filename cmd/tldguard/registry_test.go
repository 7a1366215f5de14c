package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/epp"
	"github.com/tldguard/tldguard/rdap"
	"github.com/tldguard/tldguard/webhook"
)

// checkRegistryConfig returns what is wrong with a registry section the
// parser accepted, "" when it is sound.
func checkRegistryConfig(r *registryConfig) string {
	switch r.Adapter {
	case "", adapterEPP, adapterWebhook:
	default:
		return "adapter " + r.Adapter
	}
	switch r.Transfer {
	case "", adapterEPP, adapterWebhook:
	default:
		return "transfer " + r.Transfer
	}
	used := func(name string) bool { return r.Adapter == name || r.Transfer == name }
	if used(adapterEPP) != (r.EPP != nil) || used(adapterWebhook) != (r.Webhook != nil) {
		return "sections do not match the adapters"
	}
	if e := r.EPP; e != nil && (e.Addr == "" || e.ClientID == "" || e.PasswordEnv == "" || (e.CertFile == "") != (e.KeyFile == "")) {
		return "epp section incomplete"
	}
	if w := r.Webhook; w != nil && (w.ApplyURL == "" || w.SecretEnv == "") {
		return "webhook section incomplete"
	}
	if r.RDAP != nil && r.RDAP.BaseURL == "" {
		return "rdap without base_url"
	}
	return ""
}

func TestParseRegistryConfig(t *testing.T) {
	const full = `registry:
  adapter: epp
  epp:
    addr: "epp.registry.example:700"
    server_name: epp.registry.example
    client_id: tldguard
    password_env: TLDGUARD_EPP_PASSWORD
    ca_file: ca.pem
    cert_file: tls/client.pem
    key_file: /etc/keys/client.key
    timeout: 30s
    sessions: 2
  webhook: {apply_url: "https://registry.example/apply", lookup_url: "https://registry.example/lookup", secret_env: TLDGUARD_WEBHOOK_SECRET, timeout: 15s}
  transfer: webhook
  rdap: {base_url: "https://rdap.nic.example/", timeout: 5s}
`
	c, err := parseConfig([]byte(full), "/etc/tldguard/tldguard.yaml", "/c")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Registry
	want := eppConfig{Addr: "epp.registry.example:700", ServerName: "epp.registry.example", ClientID: "tldguard", PasswordEnv: "TLDGUARD_EPP_PASSWORD",
		CAFile: "/etc/tldguard/ca.pem", CertFile: "/etc/tldguard/tls/client.pem", KeyFile: "/etc/keys/client.key", Timeout: 30 * time.Second, Sessions: 2}
	if r.Adapter != adapterEPP || r.EPP == nil || *r.EPP != want {
		t.Errorf("epp %+v", r.EPP)
	}
	if w := r.Webhook; w == nil || *w != (webhookConfig{ApplyURL: "https://registry.example/apply", LookupURL: "https://registry.example/lookup", SecretEnv: "TLDGUARD_WEBHOOK_SECRET", Timeout: 15 * time.Second}) {
		t.Errorf("webhook %+v", w)
	}
	if r.Transfer != adapterWebhook || r.RDAP == nil || r.RDAP.BaseURL != "https://rdap.nic.example/" || r.RDAP.Timeout != 5*time.Second || r.embedded() {
		t.Errorf("registry %+v", r)
	}
	if msg := checkRegistryConfig(&r); msg != "" {
		t.Error(msg)
	}

	for _, in := range []string{"", "zones: [a]\n", "registry: {}\n", "registry:\n  adapter: embedded\n"} {
		c, err := parseConfig([]byte(in), "x.yaml", "/c")
		if err != nil || !c.Registry.embedded() || c.Registry.Adapter != "" || c.Registry.EPP != nil || c.Registry.Webhook != nil {
			t.Errorf("%q: %+v, %v", in, c, err)
		}
	}
	wh, err := parseConfig([]byte("registry:\n  adapter: webhook\n  webhook:\n    apply_url: http://127.0.0.1:9/x\n    secret_env: S\n"), "x.yaml", "/c")
	if err != nil || wh.Registry.Adapter != adapterWebhook || wh.Registry.Webhook.ApplyURL != "http://127.0.0.1:9/x" || wh.Registry.Webhook.LookupURL != "" {
		t.Errorf("webhook only: %+v, %v", wh, err)
	}
	emb, err := parseConfig([]byte("registry:\n  rdap: {base_url: 'https://rdap.example/'}\n"), "x.yaml", "/c")
	if err != nil || !emb.Registry.embedded() || emb.Registry.RDAP == nil {
		t.Errorf("embedded with rdap: %+v, %v", emb, err)
	}

	const eppOK = "  epp: {addr: e, client_id: c, password_env: P}\n"
	const whOK = "  webhook: {apply_url: 'https://h/a', secret_env: S}\n"
	for _, tc := range []struct{ in, want string }{
		{"registry:\n  adapter: ftp\n", `line 2: registry.adapter: unknown adapter "ftp" (known: embedded, epp, webhook)`},
		{"registry:\n  adapter: epp\n  epp:\n    addr: e\n    client_id: c\n    password: hunter2\n", "line 6: registry.epp.password: secrets are not read from the config file: put it in an environment variable and name that variable in password_env"},
		{"registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a', secret: s3cret}\n", "line 3: registry.webhook.secret: secrets are not read from the config file"},
		{"registry:\n  adapter: epp\n", "line 2: registry.epp: adapter epp needs an epp section"},
		{"registry:\n  adapter: webhook\n", "line 2: registry.webhook: adapter webhook needs a webhook section"},
		{"registry:\n  adapter: epp\n  epp: {client_id: c, password_env: P}\n", "line 3: registry.epp.addr: is required"},
		{"registry:\n  adapter: epp\n  epp: {addr: e, password_env: P}\n", "registry.epp.client_id: is required"},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c}\n", "registry.epp.password_env: is required"},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: P, cert_file: c.pem}\n", "registry.epp.cert_file: cert_file and key_file go together"},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: 'my-pass'}\n", `registry.epp.password_env: "my-pass" is not an environment variable name`},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: P, sessions: 0}\n", `registry.epp.sessions: "0" is not a number of sessions from 1 to 16`},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: P, timeout: 1ms}\n", "registry.epp.timeout: must be from 100ms to 10m"},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: P, timeout: soon}\n", `registry.epp.timeout: "soon" is not a duration`},
		{"registry:\n  adapter: epp\n  epp: {addr: e, client_id: c, password_env: P, port: 700}\n", "line 3: registry.epp.port: unknown key (known: addr, ca_file, cert_file, client_id, key_file, password, password_env, server_name, sessions, timeout)"},
		{"registry:\n  adapter: epp\n  epp: {addr: '', client_id: c, password_env: P}\n", "registry.epp.addr: is empty"},
		{"registry:\n  adapter: webhook\n  webhook: {secret_env: S}\n", "registry.webhook.apply_url: is required"},
		{"registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a'}\n", "registry.webhook.secret_env: is required"},
		{"registry:\n  adapter: webhook\n  webhook: {apply_url: 'ftp://h/a', secret_env: S}\n", `line 3: registry.webhook.apply_url: "ftp://h/a" is not an http(s) URL`},
		{"registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a', lookup_url: '/x', secret_env: S}\n", `registry.webhook.lookup_url: "/x" is not an http(s) URL`},
		{"registry:\n  adapter: epp\n" + eppOK + "  transfer: email\n", `line 4: registry.transfer: unknown transfer adapter "email" (known: epp, webhook)`},
		{"registry:\n  adapter: epp\n" + eppOK + "  transfer: webhook\n", "line 4: registry.webhook: transfer: webhook needs a webhook section"},
		{"registry:\n  adapter: webhook\n" + whOK + eppOK, "line 4: registry.epp: configured but not used: set adapter: epp or transfer: epp"},
		{"registry:\n" + whOK, "line 2: registry.webhook: configured but not used"},
		{"registry:\n  rdap: {}\n", "line 2: registry.rdap.base_url: is required"},
		{"registry:\n  rdap: {base_url: 'rdap.example'}\n", `registry.rdap.base_url: "rdap.example" is not an http(s) URL`},
		{"registry:\n  adapter: embedded\n  adapter: epp\n", "line 3: registry.adapter: given twice"},
		{"registry: epp\n", "line 1: registry: must be a mapping"},
		{"registry:\n  adapter: [epp]\n", "line 2: registry.adapter: must be a string"},
	} {
		c, err := parseConfig([]byte(tc.in), "x.yaml", "/c")
		if err == nil || c != nil || !strings.Contains(tldguard.ErrorMessage(err), "x.yaml ") || !strings.Contains(tldguard.ErrorMessage(err), tc.want) {
			t.Errorf("%q: %+v, error %v, want %q", tc.in, c, err, tc.want)
		}
	}
}

// fakeAdapter is a RegistryAdapter that records what reaches it.
type fakeAdapter struct {
	name    string
	mu      sync.Mutex
	applied []tldguard.ActionKind
	lookups []string
}

func (f *fakeAdapter) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, name)
	if name == "missing.example" {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "%s: not registered", f.name)
	}
	return &tldguard.Registration{Name: name, RegistrarID: f.name}, nil
}

func (f *fakeAdapter) Apply(ctx context.Context, c tldguard.Change) (*tldguard.ChangeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, c.Kind)
	if c.Domain == "busy.example" {
		return nil, tldguard.Errorf(tldguard.EUNAVAILABLE, "%s: busy", f.name)
	}
	return &tldguard.ChangeResult{Applied: true, Detail: f.name}, nil
}

func TestRegistryRouter(t *testing.T) {
	ctx := context.Background()
	kinds := []tldguard.ActionKind{tldguard.ActionHold, tldguard.ActionTransfer, tldguard.ActionLock, tldguard.ActionRelease}
	run := func(r *registryRouter) []string {
		var got []string
		for _, k := range kinds {
			res, err := r.Apply(ctx, tldguard.Change{Kind: k, Domain: "a.example", Reference: "tldguard-action-1"})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(k)+"@"+res.Detail)
		}
		reg, err := r.Lookup(ctx, "a.example")
		if err != nil {
			t.Fatal(err)
		}
		return append(got, "lookup@"+reg.RegistrarID)
	}

	main, transfer, lookup := &fakeAdapter{name: "epp"}, &fakeAdapter{name: "webhook"}, &fakeAdapter{name: "rdap"}
	if got := strings.Join(run(&registryRouter{adapter: main}), " "); got != "hold@epp transfer@epp lock@epp release@epp lookup@epp" {
		t.Errorf("adapter only: %s", got)
	}
	if got := strings.Join(run(&registryRouter{adapter: main, transfer: transfer}), " "); got != "hold@epp transfer@webhook lock@epp release@epp lookup@epp" {
		t.Errorf("with transfer: %s", got)
	}
	if got := strings.Join(run(&registryRouter{adapter: main, transfer: transfer, lookup: lookup}), " "); got != "hold@epp transfer@webhook lock@epp release@epp lookup@rdap" {
		t.Errorf("with transfer and rdap: %s", got)
	}
	if len(lookup.applied) != 0 || len(transfer.lookups) != 0 {
		t.Errorf("rdap applied %v, webhook looked up %v", lookup.applied, transfer.lookups)
	}

	// Errors come back as the adapter gave them: the job runner retries
	// EUNAVAILABLE, and ENOTFOUND says the name is not registered.
	r := &registryRouter{adapter: main, transfer: transfer, lookup: lookup}
	if _, err := r.Apply(ctx, tldguard.Change{Kind: tldguard.ActionTransfer, Domain: "busy.example"}); tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "webhook") {
		t.Errorf("transfer error %v", err)
	}
	if _, err := r.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "busy.example"}); tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE || !strings.Contains(err.Error(), "epp") {
		t.Errorf("hold error %v", err)
	}
	if _, err := r.Lookup(ctx, "missing.example"); tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
		t.Errorf("lookup error %v", err)
	}
}

// TestNewRegistryConn builds the adapters from parsed config, with the
// secrets from the environment.
func TestNewRegistryConn(t *testing.T) {
	parse := func(in string) *checkConfig {
		t.Helper()
		c, err := parseConfig([]byte(in), "/etc/t.yaml", "/c")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	local := &fakeAdapter{name: "local"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	c := parse("registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a', secret_env: TLDGUARD_TEST_NO_SUCH_VAR}\n")
	if _, err := newRegistryConn(&c.Registry, c.Path, local, log); err == nil || !strings.Contains(err.Error(), "/etc/t.yaml: registry.webhook.secret_env: environment variable TLDGUARD_TEST_NO_SUCH_VAR is not set") {
		t.Errorf("missing secret: %v", err)
	}
	t.Setenv("TLDGUARD_TEST_SHORT", "short")
	c = parse("registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a', secret_env: TLDGUARD_TEST_SHORT}\n")
	if _, err := newRegistryConn(&c.Registry, c.Path, local, log); err == nil || !strings.Contains(err.Error(), "TLDGUARD_TEST_SHORT has 5 bytes; it needs at least 32") {
		t.Errorf("short secret: %v", err)
	}

	t.Setenv("TLDGUARD_TEST_SECRET", strings.Repeat("s", 32))
	c = parse("registry:\n  adapter: webhook\n  webhook: {apply_url: 'https://h/a', secret_env: TLDGUARD_TEST_SECRET}\n  rdap: {base_url: 'https://rdap.example/'}\n")
	conn, err := newRegistryConn(&c.Registry, c.Path, local, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := conn.router.adapter.(*webhook.Adapter); !ok || conn.router.transfer != nil || conn.epp != nil {
		t.Errorf("webhook router %+v", conn.router)
	}
	if _, ok := conn.router.lookup.(*rdap.Client); !ok {
		t.Errorf("lookup %T", conn.router.lookup)
	}

	// Embedded with transfers to the webhook: the rest stays local.
	c = parse("registry:\n  webhook: {apply_url: 'https://h/a', secret_env: TLDGUARD_TEST_SECRET}\n  transfer: webhook\n")
	if conn, err = newRegistryConn(&c.Registry, c.Path, local, log); err != nil {
		t.Fatal(err)
	}
	if conn.router.adapter != tldguard.RegistryAdapter(local) || conn.router.lookup != nil {
		t.Errorf("embedded router %+v", conn.router)
	}
	if _, ok := conn.router.transfer.(*webhook.Adapter); !ok {
		t.Errorf("transfer %T", conn.router.transfer)
	}

	c = parse("registry:\n  adapter: epp\n  epp: {addr: 'e:700', client_id: c, password_env: TLDGUARD_TEST_SECRET, ca_file: /nonexistent/ca.pem}\n")
	if _, err := newRegistryConn(&c.Registry, c.Path, local, log); err == nil || !strings.Contains(err.Error(), "registry.epp.ca_file") {
		t.Errorf("missing CA file: %v", err)
	}
}

// TestOpenRegistryDown: an EPP registry that does not answer at start
// logs a warning and the server starts; actions are retried later.
func TestOpenRegistryDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	t.Setenv("TLDGUARD_TEST_EPP_PASSWORD", "pw")
	c, err := parseConfig([]byte(fmt.Sprintf("registry:\n  adapter: epp\n  epp: {addr: '%s', client_id: tldguard, password_env: TLDGUARD_TEST_EPP_PASSWORD, timeout: 2s}\n", addr)), "t.yaml", "/c")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m := &Main{Config: Config{Checks: c, Logger: slog.New(slog.NewTextHandler(&logs, nil))}}
	reg, err := m.openRegistry(context.Background(), &fakeAdapter{name: "local"})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := reg.(*registryRouter)
	if !ok || m.registry == nil || m.registry.epp == nil {
		t.Fatalf("registry %T", reg)
	}
	if _, ok := r.adapter.(*epp.Client); !ok {
		t.Errorf("adapter %T", r.adapter)
	}
	if !strings.Contains(logs.String(), "the EPP registry does not answer") {
		t.Errorf("no warning:\n%s", logs.String())
	}
	if _, err := r.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "a.example", AddStatuses: []string{tldguard.StatusServerHold}, Reference: "tldguard-action-1"}); tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Errorf("apply while down: %v", err)
	}
	if err := m.closeRegistry(); err != nil || m.registry != nil {
		t.Errorf("close: %v", err)
	}

	// Without a registry section the embedded registry is used as is.
	m = &Main{Config: Config{Checks: &checkConfig{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	local := &fakeAdapter{name: "local"}
	if reg, err := m.openRegistry(context.Background(), local); err != nil || reg != tldguard.RegistryAdapter(local) || m.registry != nil {
		t.Errorf("embedded: %T %v", reg, err)
	}
	if err := m.closeRegistry(); err != nil {
		t.Error(err)
	}
}

// TestWebhookRegistryOverAPI runs the real binary with the webhook
// adapter: a hold proposed and approved over the API reaches the
// operator's system as a signed request, and its answer is recorded.
func TestWebhookRegistryOverAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	secret := []byte("0123456789abcdef0123456789abcdef-test")
	t.Setenv("TLDGUARD_TEST_WEBHOOK_SECRET", string(secret))
	eachEngine(t, func(t *testing.T, w where) {
		var mu sync.Mutex
		var applies []webhook.ApplyRequest
		var lookups, refused int
		hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				http.Error(rw, err.Error(), http.StatusUnauthorized)
				return
			}
			var req webhook.ApplyRequest
			if err := json.Unmarshal(body, &req); err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			rw.Header().Set("Content-Type", "application/json")
			mu.Lock()
			defer mu.Unlock()
			if req.Action == "lookup" {
				lookups++
				json.NewEncoder(rw).Encode(webhook.LookupResponse{Domain: req.Domain, RegistrarID: "9999", Statuses: []string{"ok"}, NameServers: []string{"ns1.example.net"}})
				return
			}
			applies = append(applies, req)
			json.NewEncoder(rw).Encode(webhook.ApplyResponse{Applied: true,
				Before: tldguard.RegistryState{Statuses: []string{"ok"}, RegistrarID: "9999"},
				After:  tldguard.RegistryState{Statuses: []string{"serverHold"}, RegistrarID: "9999"},
				Detail: "held by the operator's registry (" + req.Reference + ")"})
		}))
		defer hook.Close()

		cfg := filepath.Join(t.TempDir(), "tldguard.yaml")
		if err := os.WriteFile(cfg, []byte("registry:\n  adapter: webhook\n  webhook:\n    apply_url: "+hook.URL+"/apply\n    secret_env: TLDGUARD_TEST_WEBHOOK_SECRET\n    timeout: 10s\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, w, "demo", "--names", "100", "--config", cfg)
		creds := demoCreds(t, srv)

		var a actionView
		if code := call(t, srv, "POST", "/api/v1/cases/1/actions", creds["analyst"], `{"kind":"hold","reason":"LE request, kit confirmed"}`, &a); code != 201 || a.State != "proposed" {
			t.Fatalf("propose: %d %+v\n%s", code, a, srv.output())
		}
		if code := call(t, srv, "POST", fmt.Sprintf("/api/v1/actions/%d/approve", a.ID), creds["approver"], `{"note":"ok"}`, nil); code != 200 {
			t.Fatalf("approve: %d", code)
		}
		done := waitAction(t, srv, creds["auditor"], a.ID, "done")
		if !strings.Contains(done.Result, "held by the operator's registry") {
			t.Errorf("hold result %q", done.Result)
		}
		mu.Lock()
		got := append([]webhook.ApplyRequest(nil), applies...)
		nRefused := refused
		mu.Unlock()
		if len(got) != 1 || got[0].Action != "hold" || got[0].Domain != sampleName(4) ||
			strings.Join(got[0].AddStatuses, ",") != tldguard.StatusServerHold || got[0].Reference == "" {
			t.Errorf("webhook received %+v", got)
		}
		if !strings.Contains(srv.output(), "adapter=webhook") {
			t.Errorf("the start-up log does not name the webhook adapter:\n%s", srv.output())
		}
		if nRefused != 0 {
			t.Errorf("%d requests failed the signature check", nRefused)
		}
		// The change went to the operator's registry, not the embedded
		// one: the name is still in the embedded zone.
		if zone := mustTool(t, w, "registry", "zone", "--tld", "example"); !strings.Contains(zone, sampleName(4)+".") {
			t.Errorf("the embedded registry was changed: %s is not in its zone", sampleName(4))
		}
		if err := srv.stop(t, os.Interrupt); err != nil {
			t.Errorf("stop: %v\n%s", err, srv.output())
		}
	})
}
