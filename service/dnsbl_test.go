package service_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/feed"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/service"
)

// blocklistDNS is a DNS server for the DBL: names under dbl.spamhaus.org
// answer the A record set for them, NXDOMAIN otherwise.
type blocklistDNS struct {
	addr    string
	mu      sync.Mutex
	answers map[string]string // name -> A answer
	asked   map[string]int

	delay          time.Duration // before each answer
	inFlight, most int           // queries being answered, and the most at once
}

func newBlocklistDNS(t *testing.T) *blocklistDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blocklistDNS{addr: pc.LocalAddr().String(), answers: map[string]string{}, asked: map[string]int{}}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(b.serve)}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return b
}

func (b *blocklistDNS) set(name, answer string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if answer == "" {
		delete(b.answers, name)
	} else {
		b.answers[name] = answer
	}
}

func (b *blocklistDNS) queries(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.asked[name]
}

func (b *blocklistDNS) serve(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	qname := strings.ToLower(q.Question[0].Name)
	name := strings.TrimSuffix(qname, ".dbl.spamhaus.org.")
	b.mu.Lock()
	b.asked[name]++
	a, ok := b.answers[name]
	b.inFlight++
	b.most = max(b.most, b.inFlight)
	delay := b.delay
	b.mu.Unlock()
	time.Sleep(delay)
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	if ok && q.Question[0].Qtype == dns.TypeA {
		rr, err := dns.NewRR(qname + " 60 IN A " + a)
		if err != nil {
			panic(err)
		}
		m.Answer = append(m.Answer, rr)
	} else {
		m.Rcode = dns.RcodeNameError
		soa, _ := dns.NewRR("dbl.spamhaus.org. 60 IN SOA a.ns. b.ns. 1 3600 600 86400 10")
		m.Ns = append(m.Ns, soa)
	}
	w.WriteMsg(m)
}

func (b *blocklistDNS) check(t *testing.T) *service.DNSBLCheck {
	t.Helper()
	c, err := feed.NewDNSBL(feed.DNSBLConfig{Resolver: b.addr, Zones: []feed.Zone{feed.SpamhausDBL()},
		CacheSize: -1, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &service.DNSBLCheck{Client: c, Lists: []service.DNSBLList{{Name: "dbl", Zone: "dbl.spamhaus.org"}}}
}

func feedStat(run *tldguard.ScanRun, name string) *tldguard.FeedStat {
	for i := range run.Feeds {
		if run.Feeds[i].Name == name {
			return &run.Feeds[i]
		}
	}
	return nil
}

func TestRunScanDNSBL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		// Open cases on shop (malware), fresh (spam) and quiet (phishing);
		// bad comes from the openphish feed.
		f.submit(f.public, reportJSON("malware", "http://shop.example/x"))
		f.submit(f.public, reportJSON("spam", "fresh.example"))
		f.submit(f.public, reportJSON("phishing", "quiet.example"))
		files := newScanFiles(t)
		files.write(files.phish, "http://login.bad.example/a\n")
		files.write(files.mal, urlhausHeader+urlhausRow(1, "http://elsewhere.com/x.exe"))

		dnsbl := newBlocklistDNS(t)
		dnsbl.set("bad.example", "127.0.1.4")         // phish domain
		dnsbl.set("shop.example", "127.0.1.105")      // abused legit malware
		dnsbl.set("fresh.example", "127.255.255.254") // public resolver refused: an error
		// quiet.example: NXDOMAIN
		cfg := files.config()
		cfg.DNSBL = dnsbl.check(t)

		f.clock.add(time.Hour)
		reportsBefore := f.reportCount()
		run, ms := f.scan(cfg)
		if run.Status != tldguard.ScanOK {
			t.Fatalf("run: %+v", run)
		}
		for _, n := range []string{"bad.example", "shop.example", "fresh.example", "quiet.example"} {
			if a := dnsbl.queries(n); a != 1 {
				t.Errorf("%s asked %d times, want 1", n, a)
			}
		}
		st := feedStat(run, "dnsbl:dbl")
		if st == nil || st.Alarm == "" || !strings.Contains(st.Alarm, "127.255.255.254") || st.Entries != 3 || st.Matched != 2 || st.Skipped != 0 {
			t.Fatalf("dnsbl stat: %+v", st)
		}
		if run.ByFeed["dnsbl:dbl"] != 2 || run.ByThreat[tldguard.ThreatPhishing] != 2 { // openphish and the DBL on bad
			t.Errorf("by feed %v, by threat %v", run.ByFeed, run.ByThreat)
		}
		got := f.findings(tldguard.FindingFilter{Feed: "dnsbl:dbl"})
		if len(got) != 2 {
			t.Fatalf("dnsbl findings: %v", got)
		}
		bad, shop := got["bad.example/dnsbl:dbl/phishing"], got["shop.example/dnsbl:dbl/malware"]
		if bad == nil || bad.Compromised || len(bad.URLs) != 0 || bad.CaseID == 0 {
			t.Errorf("bad: %+v", bad)
		}
		if shop == nil || !shop.Compromised || len(shop.URLs) != 0 || shop.CaseID == 0 {
			t.Errorf("shop: %+v", shop)
		}
		// bad's DBL finding joins the case the openphish finding opened;
		// shop's joins the public report's malware case.
		op := f.findings(tldguard.FindingFilter{Feed: "openphish"})["bad.example/openphish/phishing"]
		if op == nil || op.CaseID != bad.CaseID {
			t.Errorf("openphish finding %+v, dbl case %d", op, bad.CaseID)
		}
		cd, err := f.svc.Case(f.analyst, shop.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if c := cd.Case; c.Domain != "shop.example" || c.ThreatType != tldguard.ThreatMalware || c.ReportCount != 2 {
			t.Errorf("shop case %+v", c)
		}
		nNew := 0
		for _, m := range ms {
			if m.Feed == "dnsbl:dbl" && m.New {
				nNew++
			}
		}
		if nNew != 2 || f.reportCount() != reportsBefore+3 { // openphish on bad, DBL on bad and shop
			t.Errorf("new dnsbl matches %d, reports %d -> %d", nNew, reportsBefore, f.reportCount())
		}

		// The same answers again: nothing new, the error still an alarm.
		f.clock.add(time.Hour)
		reports := f.reportCount()
		run2, ms2 := f.scan(cfg)
		for _, m := range ms2 {
			if m.New || m.NewCase {
				t.Errorf("re-run created %+v", m)
			}
		}
		if f.reportCount() != reports || run2.NewFindings != 0 || run2.NewCases != 0 || run2.Delisted != 0 {
			t.Errorf("re-run: reports %d -> %d, run %+v", reports, f.reportCount(), run2)
		}
		if st := feedStat(run2, "dnsbl:dbl"); st == nil || st.Alarm == "" {
			t.Errorf("re-run stat: %+v", st)
		}

		// The DBL stops listing bad, but still answers fresh with an error:
		// an alarmed list delists nothing.
		dnsbl.set("bad.example", "")
		f.clock.add(time.Hour)
		run3, _ := f.scan(cfg)
		if run3.Delisted != 0 || len(f.findings(tldguard.FindingFilter{Feed: "dnsbl:dbl", Active: true})) != 2 {
			t.Errorf("alarmed list delisted: run %+v", run3)
		}

		// Now every answer is good: bad's DBL finding is delisted, shop's
		// stays, and a name past max_names is neither asked nor delisted.
		dnsbl.set("fresh.example", "")
		cfg.DNSBL.MaxNames = 3 // bad, fresh, quiet; shop is cut
		f.clock.add(time.Hour)
		run4, _ := f.scan(cfg)
		st4 := feedStat(run4, "dnsbl:dbl")
		if st4 == nil || st4.Alarm != "" || st4.Skipped != 1 || !strings.Contains(st4.Source, "max_names 3") || st4.Entries != 3 {
			t.Errorf("run 4 stat: %+v", st4)
		}
		active := f.findings(tldguard.FindingFilter{Feed: "dnsbl:dbl", Active: true})
		if len(active) != 1 || active["shop.example/dnsbl:dbl/malware"] == nil || run4.Delisted != 1 {
			t.Errorf("after delisting: active %v, run %+v", active, run4)
		}
		all := f.findings(tldguard.FindingFilter{Feed: "dnsbl:dbl"})
		if d := all["bad.example/dnsbl:dbl/phishing"]; d == nil || d.DelistedAt.IsZero() {
			t.Errorf("bad not delisted: %+v", d)
		}
		// The openphish finding on bad is untouched.
		if op := f.findings(tldguard.FindingFilter{Feed: "openphish", Active: true})["bad.example/openphish/phishing"]; op == nil {
			t.Error("the openphish finding was delisted")
		}
		f.verify()
	})
}

// TestDNSBLConcurrent: lookups overlap (one at a time, a resolver's
// latency caps the rate below any limit), and the stats are what asking
// one by one gives.
func TestDNSBLConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		f := newFixture(t, store)
		var names []string
		for i := range 24 {
			n := fmt.Sprintf("n%02d.example", i)
			names = append(names, n)
			f.submit(f.public, reportJSON("phishing", "http://"+n+"/x"))
		}
		files := newScanFiles(t)
		files.write(files.phish, "http://login.bad.example/a\n")
		files.write(files.mal, urlhausHeader+urlhausRow(1, "http://elsewhere.com/x.exe"))
		dnsbl := newBlocklistDNS(t)
		dnsbl.delay = 30 * time.Millisecond
		for _, n := range names[:5] {
			dnsbl.set(n, "127.0.1.4")
		}
		cfg := files.config()
		cfg.DNSBL = dnsbl.check(t)
		cfg.DNSBL.Concurrency = 8
		f.clock.add(time.Hour)
		run, _ := f.scan(cfg)
		st := feedStat(run, "dnsbl:dbl")
		if run.Status != tldguard.ScanOK || st == nil || st.Alarm != "" || st.Entries != 25 || st.Matched != 5 {
			t.Fatalf("run %+v, stat %+v", run, st)
		}
		dnsbl.mu.Lock()
		most := dnsbl.most
		dnsbl.mu.Unlock()
		if most < 2 || most > 8 {
			t.Errorf("at most %d lookups in flight, want 2 to 8", most)
		}
		for _, n := range append(names, "bad.example") {
			if a := dnsbl.queries(n); a != 1 {
				t.Errorf("%s asked %d times, want 1", n, a)
			}
		}
	})
}

func TestDNSBLListFeedName(t *testing.T) {
	if n := (service.DNSBLList{Name: "dbl"}).FeedName(); n != "dnsbl:dbl" {
		t.Fatal(n)
	}
}
