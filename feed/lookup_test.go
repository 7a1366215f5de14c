package feed

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/tldguard/tldguard"
)

// testDNS is a DNS server on 127.0.0.1 (UDP and TCP on one port) that
// answers like a resolver in front of the blocklists.
type testDNS struct {
	addr    string
	mu      sync.Mutex
	queries map[string]int // by "udp|name" and "tcp|name"
}

func (s *testDNS) count(network, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[network+"|"+name]
}

func startTestDNS(t *testing.T) *testDNS {
	t.Helper()
	s := &testDNS{queries: map[string]int{}}
	var (
		ln net.Listener
		pc net.PacketConn
	)
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p, err := net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			l.Close()
			continue
		}
		ln, pc = l, p
		break
	}
	if ln == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	s.addr = ln.Addr().String()
	h := dns.HandlerFunc(s.serve)
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	var started sync.WaitGroup
	started.Add(2)
	udp.NotifyStartedFunc = started.Done
	tcp.NotifyStartedFunc = started.Done
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	started.Wait()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return s
}

func (s *testDNS) serve(w dns.ResponseWriter, q *dns.Msg) {
	network := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	name := strings.ToLower(q.Question[0].Name)
	s.mu.Lock()
	s.queries[network+"|"+name]++
	s.mu.Unlock()

	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	a := func(owner, ip string, ttl uint32) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.ParseIP(ip)}
	}
	label, _, _ := strings.Cut(name, ".")
	switch label {
	case "slow":
		return // never answers
	case "servfail":
		m.Rcode = dns.RcodeServerFailure
	case "big":
		if network == "udp" {
			m.Truncated = true
		} else {
			m.Answer = append(m.Answer, a(name, "127.0.1.5", 300))
		}
	case "cname":
		target := "target." + strings.SplitN(name, ".", 3)[2]
		m.Answer = append(m.Answer,
			&dns.CNAME{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: target},
			a(target, "127.0.1.6", 120))
	case "stray":
		// An A record for another owner must not count.
		m.Answer = append(m.Answer, a("other.example.", "127.0.1.4", 300))
	default:
		zone := strings.SplitN(name, ".", 3)[2]
		codes := map[string]map[string][]string{
			"dbl.spamhaus.org.": {
				"phish":     {"127.0.1.4"},
				"hacked":    {"127.0.1.104"},
				"both":      {"127.0.1.2", "127.0.1.5"},
				"public":    {"127.255.255.254"},
				"typo":      {"127.255.255.252"},
				"excess":    {"127.255.255.255"},
				"ipquery":   {"127.0.1.255"},
				"newerr":    {"127.255.255.9"},
				"rewritten": {"198.51.100.1"},
				"outside":   {"127.0.0.2"},
				"mixed":     {"127.0.1.4", "127.255.255.254"},
			},
			"multi.surbl.org.": {
				"phmw":     {"127.0.0.24"},
				"cracked":  {"127.0.0.128"},
				"blocked":  {"127.0.0.1"},
				"abuseblk": {"127.0.0.65"},
				"oldbit":   {"127.0.0.2"},
			},
			"bl.example.test.": {
				"custom": {"127.0.0.2"},
			},
		}[zone][label]
		if codes == nil {
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 600},
				Ns: "ns." + zone, Mbox: "hostmaster." + zone, Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 90})
			break
		}
		for _, c := range codes {
			m.Answer = append(m.Answer, a(name, c, 300))
		}
	}
	w.WriteMsg(m)
}

func customZone() Zone {
	return Zone{
		Name:  "bl.example.test",
		Codes: map[netip.Addr]Code{netip.MustParseAddr("127.0.0.2"): {Threat: tldguard.ThreatMalware, Label: "listed"}},
	}
}

func newTestDNSBL(t *testing.T, srv *testDNS, mod func(*DNSBLConfig)) *DNSBL {
	t.Helper()
	cfg := DNSBLConfig{
		Resolver: srv.addr,
		Zones:    []Zone{SpamhausDBL(), SURBLMulti(), customZone()},
		Timeout:  300 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := NewDNSBL(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDNSBLLookup(t *testing.T) {
	srv := startTestDNS(t)
	d := newTestDNSBL(t, srv, nil)
	const dbl, surbl, custom = "dbl.spamhaus.org", "multi.surbl.org", "bl.example.test"
	tests := []struct {
		zone, name  string
		listed      bool
		threats     []tldguard.ThreatType
		compromised bool
		codes       []string
		errIs       error // nil: no error
		errHas      string
	}{
		{zone: dbl, name: "clean.example"},
		{zone: dbl, name: "phish.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatPhishing}, codes: []string{"127.0.1.4"}},
		{zone: dbl, name: "hacked.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatPhishing}, compromised: true, codes: []string{"127.0.1.104"}},
		{zone: dbl, name: "both.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatMalware, tldguard.ThreatSpam}, codes: []string{"127.0.1.2", "127.0.1.5"}},
		{zone: dbl, name: "cname.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatBotnet}, codes: []string{"127.0.1.6"}},
		{zone: dbl, name: "big.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatMalware}, codes: []string{"127.0.1.5"}},
		{zone: dbl, name: "stray.example"},
		{zone: dbl, name: "public.example", errIs: ErrBlocklistCode, errHas: "public or open resolver"},
		{zone: dbl, name: "typo.example", errIs: ErrBlocklistCode, errHas: "typing error"},
		{zone: dbl, name: "excess.example", errIs: ErrBlocklistCode, errHas: "excessive number of queries"},
		{zone: dbl, name: "ipquery.example", errIs: ErrBlocklistCode, errHas: "IP queries"},
		{zone: dbl, name: "newerr.example", errIs: ErrBlocklistCode, errHas: "127.255.255.9"},
		{zone: dbl, name: "rewritten.example", errIs: ErrBlocklistAnswer, errHas: "outside 127.0.0.0/8"},
		{zone: dbl, name: "outside.example", errIs: ErrBlocklistAnswer, errHas: "127.0.1.0/24"},
		{zone: dbl, name: "mixed.example", errIs: ErrBlocklistCode},
		{zone: dbl, name: "servfail.example", errHas: "SERVFAIL"},
		{zone: surbl, name: "clean.example"},
		{zone: surbl, name: "phmw.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatPhishing, tldguard.ThreatMalware}, codes: []string{"127.0.0.24"}},
		{zone: surbl, name: "cracked.example", listed: true, compromised: true, codes: []string{"127.0.0.128"}},
		{zone: surbl, name: "oldbit.example", listed: true, codes: []string{"127.0.0.2"}},
		{zone: surbl, name: "blocked.example", errIs: ErrBlocklistCode, errHas: "refused"},
		{zone: surbl, name: "abuseblk.example", errIs: ErrBlocklistCode},
		{zone: custom, name: "custom.example", listed: true, threats: []tldguard.ThreatType{tldguard.ThreatMalware}, codes: []string{"127.0.0.2"}},
		{zone: custom, name: "clean.example"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.name, func(t *testing.T) {
			r, err := d.Lookup(context.Background(), tt.zone, tt.name)
			if tt.errIs != nil || tt.errHas != "" {
				if err == nil {
					t.Fatalf("got %+v, want an error", r)
				}
				if tt.errIs != nil && !errors.Is(err, tt.errIs) {
					t.Errorf("err = %v, want %v", err, tt.errIs)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("err = %v, want it to mention %q", err, tt.errHas)
				}
				if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
					t.Errorf("kind %q, want unavailable", tldguard.ErrorKind(err))
				}
				if r.Listed {
					t.Error("an error answer must never be a listing")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Listed != tt.listed || r.Compromised != tt.compromised || !slices.Equal(r.Threats, tt.threats) {
				t.Errorf("got %+v", r)
			}
			var codes []string
			for _, c := range r.Codes {
				codes = append(codes, c.String())
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes %v, want %v", codes, tt.codes)
			}
			if r.Zone != tt.zone || r.Name != tt.name || r.TTL <= 0 {
				t.Errorf("zone/name/ttl = %q %q %v", r.Zone, r.Name, r.TTL)
			}
			if tt.listed && len(r.Labels) == 0 {
				t.Error("no labels")
			}
		})
	}
	if n := srv.count("tcp", "big.example.dbl.spamhaus.org."); n != 1 {
		t.Errorf("truncated answer retried over TCP %d times, want 1", n)
	}
}

func TestDNSBLCacheAndTTL(t *testing.T) {
	srv := startTestDNS(t)
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d := newTestDNSBL(t, srv, func(c *DNSBLConfig) {
		c.Now = func() time.Time { return now }
		c.CacheSize = 2
	})
	ctx := context.Background()
	const q = "phish.example.dbl.spamhaus.org."
	r1, err := d.Lookup(ctx, "dbl.spamhaus.org", "phish.example")
	if err != nil || r1.Cached || r1.TTL != 300*time.Second {
		t.Fatalf("first: %+v %v", r1, err)
	}
	now = now.Add(100 * time.Second)
	r2, err := d.Lookup(ctx, "DBL.spamhaus.org.", "Phish.Example.")
	if err != nil || !r2.Cached || !r2.Listed || srv.count("udp", q) != 1 || r2.TTL != 200*time.Second || r2.Name != "Phish.Example" {
		t.Fatalf("second: %+v %v, %d queries", r2, err, srv.count("udp", q))
	}
	now = now.Add(201 * time.Second)
	if r3, _ := d.Lookup(ctx, "dbl.spamhaus.org", "phish.example"); r3.Cached || srv.count("udp", q) != 2 {
		t.Fatalf("after expiry: cached=%v, %d queries", r3.Cached, srv.count("udp", q))
	}

	// NXDOMAIN is cached for the SOA's negative TTL (min of 600 and 90).
	neg, err := d.Lookup(ctx, "dbl.spamhaus.org", "clean.example")
	if err != nil || neg.Listed || neg.TTL != 90*time.Second {
		t.Fatalf("negative: %+v %v", neg, err)
	}
	// Errors are not cached.
	for range 2 {
		if _, err := d.Lookup(ctx, "dbl.spamhaus.org", "public.example"); err == nil {
			t.Fatal("want error")
		}
	}
	if n := srv.count("udp", "public.example.dbl.spamhaus.org."); n != 2 {
		t.Errorf("error answers queried %d times, want 2 (not cached)", n)
	}
	// The cache holds two answers: phish and clean; a third evicts phish,
	// the least recently used.
	if _, err := d.Lookup(ctx, "multi.surbl.org", "phmw.example"); err != nil {
		t.Fatal(err)
	}
	if n := d.cache.len(); n != 2 {
		t.Errorf("cache holds %d, want 2", n)
	}
	before := srv.count("udp", q)
	d.Lookup(ctx, "dbl.spamhaus.org", "phish.example")
	if srv.count("udp", q) != before+1 {
		t.Error("the least recently used answer was not evicted")
	}
	// Results handed out do not share memory with the cache.
	r, _ := d.Lookup(ctx, "dbl.spamhaus.org", "phish.example")
	r.Threats[0] = tldguard.ThreatSpam
	if again, _ := d.Lookup(ctx, "dbl.spamhaus.org", "phish.example"); again.Threats[0] != tldguard.ThreatPhishing {
		t.Error("a caller's change reached the cache")
	}
}

func TestDNSBLTimeoutAndCheck(t *testing.T) {
	srv := startTestDNS(t)
	d := newTestDNSBL(t, srv, func(c *DNSBLConfig) { c.Timeout = 100 * time.Millisecond; c.Attempts = 2 })
	_, err := d.Lookup(context.Background(), "dbl.spamhaus.org", "slow.example")
	if tldguard.ErrorKind(err) != tldguard.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if n := srv.count("udp", "slow.example.dbl.spamhaus.org."); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Lookup(ctx, "dbl.spamhaus.org", "phish.example"); err == nil {
		t.Error("a cancelled context must fail the lookup")
	}

	res, err := d.Check(context.Background(), "phish.example")
	if err != nil || len(res) != 3 || !res[0].Listed || res[1].Listed || res[2].Listed {
		t.Fatalf("Check: %+v %v", res, err)
	}
	res, err = d.Check(context.Background(), "blocked.example")
	if !errors.Is(err, ErrBlocklistCode) || len(res) != 2 {
		t.Fatalf("Check with one refusing zone: %+v %v", res, err)
	}
	if _, err := d.Check(context.Background(), "192.0.2.1"); tldguard.ErrorKind(err) != tldguard.EINVALID {
		t.Errorf("Check(IP) err = %v", err)
	}
}

func TestDNSBLInvalid(t *testing.T) {
	d, err := NewDNSBL(DNSBLConfig{Resolver: "127.0.0.1", Zones: []Zone{SpamhausDBL()}})
	if err != nil {
		t.Fatal(err)
	}
	if d.cfg.Resolver != "127.0.0.1:53" {
		t.Errorf("resolver = %q", d.cfg.Resolver)
	}
	ctx := context.Background()
	for _, tc := range []struct{ zone, name string }{
		{"dbl.spamhaus.org", ""},
		{"dbl.spamhaus.org", "192.0.2.1"},
		{"dbl.spamhaus.org", "2001:db8::1"},
		{"dbl.spamhaus.org", "bücher.example"},
		{"dbl.spamhaus.org", strings.Repeat("a", 64) + ".example"},
		{"dbl.spamhaus.org", strings.Repeat("abcdefghi.", 25) + "example"},
		{"dbl.spamhaus.org", "a..example"},
		{"nope.example", "x.example"},
	} {
		if _, err := d.Lookup(ctx, tc.zone, tc.name); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("Lookup(%q, %q) err = %v, want invalid", tc.zone, tc.name, err)
		}
	}
	bad := []DNSBLConfig{
		{Zones: []Zone{SpamhausDBL()}},
		{Resolver: "127.0.0.1:53"},
		{Resolver: "127.0.0.1:53", Zones: []Zone{SpamhausDBL(), SpamhausDBL()}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: ""}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: "x.test", Listing: netip.MustParsePrefix("10.0.0.0/8")}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: "x.test", Bits: map[uint8]Code{3: {}}}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: "x.test", Bits: map[uint8]Code{1: {}}, ErrorBits: 1}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: "x.test", Codes: map[netip.Addr]Code{netip.MustParseAddr("10.0.0.1"): {}}}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{{Name: "x.test", Codes: map[netip.Addr]Code{netip.MustParseAddr("127.0.0.2"): {Threat: "worm"}}}}},
		{Resolver: "127.0.0.1:53", Zones: []Zone{SURBLMulti()}, QueriesPerSecond: -1},
	}
	for i, c := range bad {
		if _, err := NewDNSBL(c); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("config %d: err = %v, want invalid", i, err)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	l := newLimiter(10, func() time.Time { return now })
	l.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	ctx := context.Background()
	for range 3 {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(slept, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}) {
		t.Errorf("slept %v", slept)
	}
	now = now.Add(time.Second)
	slept = nil
	l.wait(ctx)
	if len(slept) != 0 {
		t.Errorf("after a pause, slept %v", slept)
	}
	if newLimiter(0, time.Now) != nil {
		t.Error("0 queries/s must mean no limiter")
	}
	// A real wait that the context cuts short.
	l2 := newLimiter(1, time.Now)
	l2.wait(ctx)
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := l2.wait(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestDNSBLRateLimited(t *testing.T) {
	srv := startTestDNS(t)
	d := newTestDNSBL(t, srv, func(c *DNSBLConfig) { c.QueriesPerSecond = 5 })
	var slept []time.Duration
	d.limit.now = func() time.Time { return time.Unix(0, 0) }
	d.limit.sleep = func(_ context.Context, dur time.Duration) error { slept = append(slept, dur); return nil }
	for _, n := range []string{"a.example", "b.example", "a.example", "c.example"} {
		if _, err := d.Lookup(context.Background(), "dbl.spamhaus.org", n); err != nil {
			t.Fatal(err)
		}
	}
	// Three queries reached the resolver (one was cached): two waited.
	if !slices.Equal(slept, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}) {
		t.Errorf("slept %v", slept)
	}
}

func TestZoneDecode(t *testing.T) {
	dbl, surbl := SpamhausDBL(), SURBLMulti()
	a := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	r, err := dbl.Decode(nil)
	if err != nil || r.Listed {
		t.Errorf("no answers: %+v %v", r, err)
	}
	r, err = dbl.Decode(a("127.0.1.105", "127.0.1.105", "::ffff:127.0.1.6"))
	if err != nil || !r.Listed || !r.Compromised || len(r.Codes) != 2 ||
		!slices.Equal(r.Threats, []tldguard.ThreatType{tldguard.ThreatMalware, tldguard.ThreatBotnet}) {
		t.Errorf("DBL: %+v %v", r, err)
	}
	r, err = dbl.Decode(a("127.0.1.3"))
	if err != nil || !r.Listed || len(r.Threats) != 0 || r.Labels[0] != "unknown code 127.0.1.3" {
		t.Errorf("unknown DBL code: %+v %v", r, err)
	}
	for _, bad := range []string{"127.255.255.252", "127.255.255.254", "127.255.255.255", "127.255.255.0", "127.0.1.255", "10.0.0.1", "::1", "127.0.0.2"} {
		if r, err := dbl.Decode(a(bad)); err == nil || r.Listed {
			t.Errorf("DBL %s: %+v %v, want error", bad, r, err)
		}
	}
	r, err = surbl.Decode(a("127.0.0.216")) // 128+64+16+8
	if err != nil || !r.Compromised || !slices.Equal(r.Threats,
		[]tldguard.ThreatType{tldguard.ThreatPhishing, tldguard.ThreatMalware, tldguard.ThreatSpam}) || len(r.Labels) != 4 {
		t.Errorf("SURBL 216: %+v %v", r, err)
	}
	r, err = surbl.Decode(a("127.0.0.36")) // DM + CT: listed, no threat
	if err != nil || !r.Listed || len(r.Threats) != 0 || len(r.Labels) != 2 {
		t.Errorf("SURBL 36: %+v %v", r, err)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.9", "127.0.0.255", "192.0.2.8"} {
		if r, err := surbl.Decode(a(bad)); err == nil || r.Listed {
			t.Errorf("SURBL %s: %+v %v, want error", bad, r, err)
		}
	}
}
