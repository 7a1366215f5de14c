package epp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func newTestClient(t testing.TB, srv *eppServer, mod func(*Config)) *Client {
	t.Helper()
	cfg := srv.config()
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wantKind fails unless err has kind and its message holds every part.
func wantKind(t *testing.T, err error, kind string, parts ...string) {
	t.Helper()
	if got := tldguard.ErrorKind(err); got != kind {
		t.Fatalf("error kind %q, want %q (err: %v)", got, kind, err)
	}
	msg := tldguard.ErrorMessage(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q lacks %q", msg, p)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestLookup(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()

	reg, err := c.Lookup(ctx, "Phish.Example.")
	if err != nil {
		t.Fatal(err)
	}
	want := &tldguard.Registration{
		Name: "phish.example", TLD: "example", RegistrarID: "registrar-a",
		Statuses: []string{"ok"}, NameServers: []string{"ns1.host.example", "ns2.host.example"},
		CreatedAt: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	if fmt.Sprint(reg) != fmt.Sprint(want) {
		t.Errorf("Lookup = %+v, want %+v", reg, want)
	}

	_, err = c.Lookup(ctx, "absent.example")
	wantKind(t, err, tldguard.ENOTFOUND, "domain:info", "absent.example", "2303", "Object does not exist", "svTRID SRV-")

	_, err = c.Lookup(ctx, "not a name")
	wantKind(t, err, tldguard.EINVALID)

	if n := srv.count("login"); n != 1 {
		t.Errorf("%d logins, want 1 (one session, kept)", n)
	}
}

func TestLookupHostAttr(t *testing.T) {
	srv := newEPPServer(t)
	srv.hostAttr = true
	c := newTestClient(t, srv, func(c *Config) { c.HostAttr = true })
	reg, err := c.Lookup(context.Background(), "phish.example")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reg.NameServers, []string{"ns1.host.example", "ns2.host.example"}) {
		t.Errorf("name servers %v", reg.NameServers)
	}
	// A redirect on a registry without host objects speaks hostAttr.
	res, err := c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: []string{"ns1.sinkhole.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.After.NameServers, []string{"ns1.sinkhole.example"}) {
		t.Errorf("after redirect: %v", res.After.NameServers)
	}
}

func TestApplyHold(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	hold := tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", Reference: "tldguard-action-42"}

	res, err := c.Apply(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied {
		t.Error("Applied = false")
	}
	if !slices.Equal(res.Before.Statuses, []string{"ok"}) || !slices.Equal(res.After.Statuses, []string{"serverHold"}) {
		t.Errorf("Before %v After %v", res.Before.Statuses, res.After.Statuses)
	}
	if res.Before.RegistrarID != "registrar-a" || len(res.After.NameServers) != 2 {
		t.Errorf("result %+v", res)
	}
	for _, p := range []string{"domain:update", "1000", "Command completed successfully", "svTRID SRV-"} {
		if !strings.Contains(res.Detail, p) {
			t.Errorf("Detail %q lacks %q", res.Detail, p)
		}
	}
	if st := srv.domain("phish.example").Statuses; !slices.Equal(st, []string{"serverHold"}) {
		t.Errorf("server statuses %v", st)
	}
	if !strings.Contains(srv.lastUpdate, "<clTRID>tldguard-action-42-") {
		t.Errorf("clTRID does not carry the reference: %s", srv.lastUpdate)
	}

	// The same hold again (a retried job): nothing sent.
	updates := srv.count("update")
	res, err = c.Apply(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied || srv.count("update") != updates {
		t.Errorf("second hold: Applied=%v, updates %d -> %d", res.Applied, updates, srv.count("update"))
	}
	if !strings.Contains(res.Detail, "no change") || !strings.Contains(res.Detail, "domain:info") {
		t.Errorf("Detail %q", res.Detail)
	}

	// A name already held from elsewhere: no update either.
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "held.example"})
	if err != nil || res.Applied || srv.count("update") != updates {
		t.Errorf("hold of a held name: %+v, %v", res, err)
	}

	// A release with nothing to undo (the status predates the action).
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "held.example"})
	if err != nil || res.Applied || srv.count("update") != updates {
		t.Errorf("empty release: %+v, %v", res, err)
	}

	// Release restores.
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", RemoveStatuses: []string{tldguard.StatusServerHold}})
	if err != nil || !res.Applied {
		t.Fatalf("release: %+v, %v", res, err)
	}
	if st := srv.domain("phish.example").Statuses; !slices.Equal(st, []string{"ok"}) {
		t.Errorf("server statuses after release %v", st)
	}
}

func TestApplyLockAndRelease(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()

	res, err := c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionLock, Domain: "phish.example"})
	if err != nil || !res.Applied {
		t.Fatalf("lock: %+v, %v", res, err)
	}
	if st := srv.domain("phish.example").Statuses; !sameSet(st, tldguard.LockStatuses) {
		t.Errorf("server statuses after lock %v", st)
	}
	if !sameSet(res.After.Statuses, tldguard.LockStatuses) {
		t.Errorf("After %v", res.After.Statuses)
	}

	// A hold on a locked name: lift serverUpdateProhibited, then hold
	// and lock again in one update.
	before := srv.count("update")
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"})
	if err != nil || !res.Applied {
		t.Fatalf("hold of a locked name: %+v, %v", res, err)
	}
	if n := srv.count("update") - before; n != 2 {
		t.Errorf("%d updates, want 2", n)
	}
	if st := srv.domain("phish.example").Statuses; !sameSet(st, append([]string{"serverHold"}, tldguard.LockStatuses...)) {
		t.Errorf("server statuses %v", st)
	}
	if strings.Count(res.Detail, "domain:update") != 2 {
		t.Errorf("Detail %q", res.Detail)
	}

	// Release of the lock: serverUpdateProhibited goes first, alone.
	before = srv.count("update")
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", RemoveStatuses: tldguard.LockStatuses})
	if err != nil || !res.Applied {
		t.Fatalf("release of the lock: %+v, %v", res, err)
	}
	if n := srv.count("update") - before; n != 2 {
		t.Errorf("%d updates, want 2", n)
	}
	if st := srv.domain("phish.example").Statuses; !slices.Equal(st, []string{"serverHold"}) {
		t.Errorf("server statuses %v", st)
	}

	// A release of serverUpdateProhibited alone is one update.
	before = srv.count("update")
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "locked.example", RemoveStatuses: []string{tldguard.StatusServerUpdateProhibited}})
	if err != nil || !res.Applied || srv.count("update")-before != 1 {
		t.Fatalf("release of serverUpdateProhibited: %+v, %v, %d updates", res, err, srv.count("update")-before)
	}
}

func TestApplyRedirectAndRestore(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	sinkhole := []string{"NS1.sinkhole.example.", "ns2.sinkhole.example"}

	res, err := c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: sinkhole})
	if err != nil || !res.Applied {
		t.Fatalf("redirect: %+v, %v", res, err)
	}
	if ns := srv.domain("phish.example").NS; !slices.Equal(ns, []string{"ns1.sinkhole.example", "ns2.sinkhole.example"}) {
		t.Errorf("server name servers %v", ns)
	}
	if !slices.Equal(res.Before.NameServers, []string{"ns1.host.example", "ns2.host.example"}) {
		t.Errorf("Before %v", res.Before.NameServers)
	}
	for _, p := range []string{"<domain:rem><domain:ns><domain:hostObj>ns1.host.example</domain:hostObj>", "<domain:add><domain:ns><domain:hostObj>ns1.sinkhole.example</domain:hostObj>"} {
		if !strings.Contains(srv.lastUpdate, p) {
			t.Errorf("update lacks %s:\n%s", p, srv.lastUpdate)
		}
	}
	// Retried: nothing to do.
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: sinkhole})
	if err != nil || res.Applied {
		t.Fatalf("second redirect: %+v, %v", res, err)
	}
	// Release restores what Before held.
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRelease, Domain: "phish.example", NameServers: []string{"ns1.host.example", "ns2.host.example"}})
	if err != nil || !res.Applied {
		t.Fatalf("restore: %+v, %v", res, err)
	}
	if ns := srv.domain("phish.example").NS; !slices.Equal(ns, []string{"ns1.host.example", "ns2.host.example"}) {
		t.Errorf("server name servers %v", ns)
	}
	// A sinkhole without a host object at the registry.
	_, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: []string{"ns9.nowhere.example"}})
	wantKind(t, err, tldguard.EUNPROCESSABLE, "2303", "host object", "ns9.nowhere.example")
}

func TestApplyDelete(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()

	res, err := c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionDelete, Domain: "phish.example"})
	if err != nil || !res.Applied {
		t.Fatalf("delete: %+v, %v", res, err)
	}
	if srv.domain("phish.example") != nil {
		t.Error("still at the server")
	}
	if len(res.After.Statuses) != 0 || res.Before.RegistrarID != "registrar-a" || !strings.Contains(res.Detail, "domain:delete phish.example: 1000") {
		t.Errorf("result %+v", res)
	}
	_, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionDelete, Domain: "phish.example"})
	wantKind(t, err, tldguard.ENOTFOUND, "2303")

	// Locked: refused by the registry...
	_, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionDelete, Domain: "locked.example"})
	wantKind(t, err, tldguard.ECONFLICT, "domain:delete locked.example", "2304", "Object status prohibits operation")
	// ...unless the change removes the prohibition first.
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionDelete, Domain: "locked.example", RemoveStatuses: []string{tldguard.StatusServerDeleteProhibited}})
	if err != nil || !res.Applied || srv.domain("locked.example") != nil {
		t.Fatalf("delete after removing the prohibition: %+v, %v", res, err)
	}
}

func TestApplyRefused(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	// The registrar's own lock: a strict registry refuses with 2304.
	_, err := c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "client-locked.example"})
	wantKind(t, err, tldguard.ECONFLICT, "domain:update client-locked.example", "2304", "Object status prohibits operation", "update prohibited")
	if st := srv.domain("client-locked.example").Statuses; !slices.Equal(st, []string{"clientUpdateProhibited"}) {
		t.Errorf("server statuses %v", st)
	}
	// Registry busy: retryable.
	srv.inject("update", faultBusy)
	_, err = c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"})
	wantKind(t, err, tldguard.EUNAVAILABLE, "2400")
}

func TestApplyInvalid(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	for _, tc := range []struct {
		ch   tldguard.Change
		kind string
	}{
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "-bad-.example"}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example"}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", AddStatuses: []string{"ok"}}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example", RemoveStatuses: []string{"serverHold"}}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: []string{"bad name"}}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionBlock, Domain: "phish.example"}, tldguard.EUNPROCESSABLE},
		{tldguard.Change{Kind: tldguard.ActionNoAction, Domain: "phish.example"}, tldguard.EUNPROCESSABLE},
		{tldguard.Change{Kind: "smite", Domain: "phish.example"}, tldguard.EINVALID},
		{tldguard.Change{Kind: tldguard.ActionTransfer, Domain: "phish.example"}, tldguard.EINVALID},
	} {
		_, err := c.Apply(context.Background(), tc.ch)
		if tldguard.ErrorKind(err) != tc.kind {
			t.Errorf("%+v: %v, want kind %s", tc.ch, err, tc.kind)
		}
	}
	if n := srv.count("info"); n != 0 {
		t.Errorf("%d infos for invalid changes", n)
	}
}

func TestApplyTransfer(t *testing.T) {
	srv := newEPPServer(t)
	ctx := context.Background()
	ch := tldguard.Change{Kind: tldguard.ActionTransfer, Domain: "phish.example", RegistrarID: "registrar-z"}

	plain := newTestClient(t, srv, nil)
	_, err := plain.Apply(ctx, ch)
	wantKind(t, err, tldguard.EUNPROCESSABLE, "transfer needs the registry's own interface (webhook adapter)")

	hooked := newTestClient(t, srv, func(c *Config) {
		c.Transfer = func(domain, gaining, clTRID string) ([]byte, error) {
			d := domainCommand("update", domain)
			d.WriteString("</domain:update></update><extension>")
			d.WriteString(`<rt:transfer xmlns:rt="` + testTransferNS + `">`)
			d.elem("rt:gaining", gaining)
			d.WriteString("</rt:transfer></extension>")
			return d.endCommand(clTRID), nil
		}
	})
	res, err := hooked.Apply(ctx, ch)
	if err != nil || !res.Applied {
		t.Fatalf("transfer: %+v, %v", res, err)
	}
	if res.Before.RegistrarID != "registrar-a" || res.After.RegistrarID != "registrar-z" || srv.domain("phish.example").ClID != "registrar-z" {
		t.Errorf("result %+v", res)
	}
	res, err = hooked.Apply(ctx, ch)
	if err != nil || res.Applied || srv.count("transfer") != 1 {
		t.Errorf("second transfer: %+v, %v, %d sent", res, err, srv.count("transfer"))
	}
}

func TestLoginRefused(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, func(c *Config) { c.Password = "wrong-password" })
	_, err := c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAUTHORIZED, "login", testClientID, "2200", "Authentication error")
	if err := c.Ping(context.Background()); tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
		t.Errorf("Ping: %v", err)
	}
	if n := srv.count("info"); n != 0 {
		t.Errorf("%d infos without a login", n)
	}
}

func TestNewPassword(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, func(c *Config) { c.NewPassword = "n3w-secret" })
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.password != "n3w-secret" {
		t.Fatalf("server password %q", srv.password)
	}
	// The connection drops; the next login must use the new password.
	srv.inject("info", faultDrop)
	if _, err := c.Lookup(context.Background(), "phish.example"); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("login"); n != 2 {
		t.Errorf("%d logins", n)
	}
}

func TestReconnect(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "phish.example"); err != nil {
		t.Fatal(err)
	}

	// The server drops the session while a lookup is in flight.
	srv.inject("info", faultDrop)
	if _, err := c.Lookup(ctx, "phish.example"); err != nil {
		t.Fatalf("lookup after a drop: %v", err)
	}
	if n := srv.count("login"); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}

	// Dropped before the update is carried out: retried from a fresh read.
	srv.inject("update", faultDrop)
	res, err := c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"})
	if err != nil || !res.Applied {
		t.Fatalf("hold after a drop: %+v, %v", res, err)
	}
	if n := srv.count("update"); n != 2 {
		t.Errorf("%d updates, want 2 (one lost, one applied)", n)
	}
	if !slices.Equal(srv.domain("phish.example").Statuses, []string{"serverHold"}) {
		t.Errorf("server statuses %v", srv.domain("phish.example").Statuses)
	}

	// Carried out but the answer lost: not sent again, reported applied.
	srv.inject("update", faultDropAfter)
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionLock, Domain: "phish.example", Reference: "tldguard-action-7"})
	if err != nil || !res.Applied {
		t.Fatalf("lock with a lost answer: %+v, %v", res, err)
	}
	if n := srv.count("update"); n != 3 {
		t.Errorf("%d updates, want 3", n)
	}
	if !slices.Equal(res.Before.Statuses, []string{"serverHold"}) || !strings.Contains(res.Detail, "after reconnecting") {
		t.Errorf("result %+v", res)
	}

	// Lost answer of a delete: the name is gone on the retry.
	srv.inject("delete", faultDropAfter)
	res, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionDelete, Domain: "held.example"})
	if err != nil || !res.Applied || res.Before.RegistrarID != "registrar-a" {
		t.Fatalf("delete with a lost answer: %+v, %v", res, err)
	}

	// Dropped twice in a row: given up, retryable.
	srv.inject("info", faultDrop, faultDrop)
	_, err = c.Lookup(ctx, "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "domain:info phish.example", "connection", "lost")
}

// The lock is lifted for a hold and the hold fails: the lock is set again.
func TestRelockAfterFailure(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	srv.inject("update", faultNone, faultBusy)
	_, err := c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "locked.example"})
	wantKind(t, err, tldguard.EUNAVAILABLE, "2400", "serverUpdateProhibited set again")
	if st := srv.domain("locked.example").Statuses; !sameSet(st, tldguard.LockStatuses) {
		t.Errorf("server statuses %v", st)
	}
}

func TestStall(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, func(c *Config) { c.Timeout = time.Second })
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The stalled server would hold the call forever: returning at all,
	// with a timeout error, is the check (no wall-clock bound asserted).
	srv.inject("info", faultStall)
	_, err := c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "domain:info phish.example", "timeout")
	// A context deadline sooner than the timeout wins.
	srv.inject("info", faultStall)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Lookup(ctx, "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "timeout")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("not context.DeadlineExceeded: %v", err)
	}
	// And the next command reconnects.
	if _, err := c.Lookup(context.Background(), "phish.example"); err != nil {
		t.Fatal(err)
	}
}

func TestTLSUnknownCA(t *testing.T) {
	srv := newEPPServer(t)
	_, other := testCertificate(t, "epp.test")
	c := newTestClient(t, srv, func(c *Config) { c.RootCAs = other })
	_, err := c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "TLS certificate", "unknown authority", srv.Addr)

	c = newTestClient(t, srv, func(c *Config) { c.ServerName = "other.test" })
	_, err = c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "TLS certificate", "not valid for", "other.test")
}

func TestFrameLimit(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, func(c *Config) { c.MaxFrame = minFrame })
	ctx := context.Background()
	srv.inject("info", faultOversize)
	_, err := c.Lookup(ctx, "phish.example")
	wantKind(t, err, tldguard.ETOOLARGE, "response frame", "exceeds the limit of 4096")
	if _, err := c.Lookup(ctx, "phish.example"); err != nil {
		t.Fatalf("after an oversized frame: %v", err)
	}

	// A command over the limit is refused before it is sent.
	var ns []string
	for i := range 60 {
		ns = append(ns, fmt.Sprintf("ns%d.%s.example", i, strings.Repeat("x", 60)))
	}
	updates := srv.count("update")
	_, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: ns})
	wantKind(t, err, tldguard.ETOOLARGE, "command frame")
	if srv.count("update") != updates {
		t.Error("oversized update sent")
	}
	if _, err := c.Lookup(ctx, "phish.example"); err != nil {
		t.Fatalf("after an oversized command: %v", err)
	}

	// The server refuses a frame over its own limit by closing.
	srv.mu.Lock()
	srv.maxFrame = 600
	srv.mu.Unlock()
	_, err = c.Apply(ctx, tldguard.Change{Kind: tldguard.ActionRedirect, Domain: "phish.example", NameServers: ns[:8]})
	wantKind(t, err, tldguard.EUNAVAILABLE, "lost")
}

func TestKeepAliveAndClose(t *testing.T) {
	srv := newEPPServer(t)
	c, err := New(func() Config { cfg := srv.config(); cfg.KeepAlive = 40 * time.Millisecond; return cfg }())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup(context.Background(), "phish.example"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for srv.count("hello") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.count("hello"); n < 2 {
		t.Errorf("%d hellos while idle", n)
	}
	// A keep-alive that finds the connection gone: the next command
	// reconnects.
	srv.inject("hello", faultDrop)
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Lookup(context.Background(), "phish.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("logout"); n != 1 {
		t.Errorf("%d logouts", n)
	}
	_, err = c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "closed")
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestHoldRacedByAnother: another client holds the name between our info
// and our update; the registry refuses the update (2306, already set),
// and the hold is a success without a change, since the name is held.
func TestHoldRacedByAnother(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	srv.inject("info", faultThenHold)
	res, err := c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied || !slices.Contains(res.After.Statuses, tldguard.StatusServerHold) || !strings.Contains(res.Detail, "another change put it there") {
		t.Errorf("raced hold: %+v", res)
	}
	if n := srv.count("update"); n != 1 {
		t.Errorf("%d updates, want the one refused", n)
	}
	// A refusal that leaves the name short of the wanted state stays an
	// error.
	srv.inject("update", faultBusy)
	if _, err := c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionLock, Domain: "phish.example"}); err == nil {
		t.Error("a refused lock that left the name unlocked succeeded")
	}
}

func TestConcurrentSessions(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, func(c *Config) { c.Sessions = 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			var err error
			if i%10 == 0 {
				_, err = c.Apply(context.Background(), tldguard.Change{Kind: tldguard.ActionHold, Domain: "phish.example"})
			} else {
				_, err = c.Lookup(context.Background(), "held.example")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.count("login"); n > 3 {
		t.Errorf("%d logins for 3 sessions", n)
	}
	if n := srv.count("update"); n < 1 {
		t.Errorf("%d updates", n)
	}
}

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{ClientID: "a", Password: "b"}, "addr"},
		{Config{Addr: "epp.example", Password: "b"}, "client_id"},
		{Config{Addr: "epp.example", ClientID: "a"}, "password"},
		{Config{Addr: "epp.example", ClientID: "a", Password: "b", Sessions: 99}, "sessions"},
		{Config{Addr: "epp.example", ClientID: "a", Password: "b", MaxFrame: 10}, "max_frame"},
	} {
		_, err := New(tc.cfg)
		if tldguard.ErrorKind(err) != tldguard.EINVALID || tldguard.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want field %s", tc.cfg, err, tc.field)
		}
	}
	c, err := New(Config{Addr: "epp.example", ClientID: "a", Password: "b", KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.cfg.Addr != "epp.example:700" || c.cfg.ServerName != "epp.example" || c.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults: %+v", c.cfg)
	}
	if id := c.clTRID("tldguard-action-42"); !strings.HasPrefix(id, "tldguard-action-42-") || len(id) > 64 {
		t.Errorf("clTRID %q", id)
	}
	if id := c.clTRID(strings.Repeat("é<x>", 40)); len(id) > 64 || len(id) < 3 {
		t.Errorf("clTRID %q", id)
	}
}

func TestResultKind(t *testing.T) {
	for code, kind := range map[int]string{
		2303: tldguard.ENOTFOUND, 2304: tldguard.ECONFLICT, 2201: tldguard.EFORBIDDEN, 2202: tldguard.EFORBIDDEN,
		2200: tldguard.EUNAUTHORIZED, 2400: tldguard.EUNAVAILABLE, 2500: tldguard.EUNAVAILABLE, 2501: tldguard.EUNAVAILABLE,
		2502: tldguard.EUNAVAILABLE, 2005: tldguard.EINVALID, 2004: tldguard.EINVALID, 2306: tldguard.EUNPROCESSABLE,
		2001: tldguard.EUNPROCESSABLE, 2308: tldguard.EUNPROCESSABLE, 2302: tldguard.ECONFLICT, 2305: tldguard.ECONFLICT,
	} {
		if got := resultKind(code); got != kind {
			t.Errorf("resultKind(%d) = %s, want %s", code, got, kind)
		}
	}
	err := resultError("domain:update", "a.example", &response{Code: 2304, Msg: "Object status prohibits operation", SvTRID: "S-9"})
	if got := err.Error(); got != "conflict: EPP domain:update a.example: 2304 Object status prohibits operation (svTRID S-9)" {
		t.Errorf("message %q", got)
	}
}

func TestCancelAndRefused(t *testing.T) {
	srv := newEPPServer(t)
	c := newTestClient(t, srv, nil)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.inject("info", faultStall)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Lookup(ctx, "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "domain:info phish.example", "cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("not context.Canceled: %v", err)
	}

	// Nobody listening.
	addr := srv.Addr
	srv.close()
	c = newTestClient(t, srv, func(c *Config) { c.Addr = addr })
	_, err = c.Lookup(context.Background(), "phish.example")
	wantKind(t, err, tldguard.EUNAVAILABLE, "cannot connect to "+addr)
}
