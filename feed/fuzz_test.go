package feed

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
	"github.com/tldguard/tldguard"
)

// seedFiles adds the named testdata files to a fuzz corpus.
func seedFiles(f *testing.F, names ...string) {
	f.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fuzzRead runs a reader over arbitrary input and checks what must hold
// whatever the input: no panic, stats that agree with what was delivered,
// entries with a host and a line, and no error-free read of nothing.
//
// The read is done again with Spec.Filter's filter: it must count the same
// records and bad records, end the same way, and deliver no more entries.
func fuzzRead(t *testing.T, in []byte, read func([]byte, Limits, func(Entry) error) (Stats, error)) {
	st, err := fuzzRead1(t, in, Limits{}, read)
	odd := func(h []byte) bool { return h[0]&1 == 1 }
	fst, ferr := fuzzRead1(t, in, Limits{filter: odd}, read)
	if fst.Records != st.Records || fst.Bad != st.Bad || (err == nil) != (ferr == nil) ||
		fst.Entries > st.Entries || fst.Entries+fst.Filtered < st.Entries {
		t.Fatalf("filtered read: %+v, %v; unfiltered: %+v, %v", fst, ferr, st, err)
	}
}

func fuzzRead1(t *testing.T, in []byte, lim Limits, read func([]byte, Limits, func(Entry) error) (Stats, error)) (Stats, error) {
	n := 0
	st, err := read(in, lim, func(e Entry) error {
		n++
		if e.Host == "" || e.Line < 1 || !e.Threat.Valid() {
			t.Fatalf("bad entry %+v", e)
		}
		if _, kind, _, _ := splitHost(e.Host); kind != hostName {
			t.Fatalf("entry host %q is not a name", e.Host)
		}
		return nil
	})
	if st.Entries != n {
		t.Fatalf("Stats.Entries %d, delivered %d", st.Entries, n)
	}
	if st.Bad < len(st.BadRecords) || st.Bad > st.Records || st.Entries > st.Records {
		t.Fatalf("inconsistent stats %+v", st)
	}
	if err != nil && tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
		t.Fatalf("error of kind %s: %v", tldguard.ErrorKind(err), err)
	}
	if err == nil && st.Records == 0 {
		t.Fatal("an empty feed read without error")
	}
	if err != nil && !errors.Is(err, ErrDrift) {
		t.Fatalf("error does not wrap ErrDrift: %v", err)
	}
	return st, err
}

func FuzzURLhaus(f *testing.F) {
	seedFiles(f, "urlhaus.csv", "urlhaus_crlf.csv", "urlhaus_drift.csv", "urlhaus_junk.csv", "urlhaus_empty.csv")
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadURLhaus(bytes.NewReader(b), withMax(lim, 512), fn)
		})
	})
}

func FuzzPhishTankCSV(f *testing.F) {
	seedFiles(f, "phishtank.csv", "phishtank_drift.csv")
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadPhishTankCSV(bytes.NewReader(b), lim, fn)
		})
	})
}

func FuzzPhishTankJSON(f *testing.F) {
	seedFiles(f, "phishtank.json", "phishtank_truncated.json", "phishtank_notarray.json")
	f.Add([]byte(`[{"url":"http://a.example/","verified":"yes"},{"url":1},[],null]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadPhishTankJSON(bytes.NewReader(b), lim, fn)
		})
	})
}

func FuzzThreatFoxCSV(f *testing.F) {
	seedFiles(f, "threatfox.csv", "threatfox_drift.csv")
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadThreatFoxCSV(bytes.NewReader(b), lim, fn)
		})
	})
}

func FuzzThreatFoxJSON(f *testing.F) {
	seedFiles(f, "threatfox.json")
	f.Add([]byte(`{"1":[{"ioc_value":"a.example","ioc_type":"domain","threat_type":"botnet_cc","tags":["x",null,1]}],"2":{}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadThreatFoxJSON(bytes.NewReader(b), lim, fn)
		})
	})
}

func FuzzList(f *testing.F) {
	seedFiles(f, "list.txt", "openphish.txt", "empty.txt")
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadList(bytes.NewReader(b), tldguard.ThreatSpam, withMax(lim, 300), fn)
		})
		fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
			return ReadOpenPhish(bytes.NewReader(b), lim, fn)
		})
	})
}

func FuzzCustomCSV(f *testing.F) {
	seedFiles(f, "custom.csv", "custom_drift.csv")
	f.Add([]byte("url,kind\nhttp://a.example/,c2\n"))
	cfgs := []CSVConfig{
		customSpec.CSV,
		{Column: "url", ThreatColumn: "kind", ThreatMap: map[string]tldguard.ThreatType{"c2": tldguard.ThreatBotnet}},
		{Column: "url", Threat: tldguard.ThreatPhishing, Delimiter: '\t', Comment: "//"},
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, c := range cfgs {
			fuzzRead(t, in, func(b []byte, lim Limits, fn func(Entry) error) (Stats, error) {
				return ReadCSV(bytes.NewReader(b), c, lim, fn)
			})
		}
	})
}

// FuzzDNSBLDecode feeds arbitrary wire messages to the response decoder and
// arbitrary addresses to each zone's answer decoder: no panic, and an
// error code is never a listing.
func FuzzDNSBLDecode(f *testing.F) {
	zones := []Zone{SpamhausDBL(), SURBLMulti(), customZone()}
	for _, ip := range []string{"127.0.1.4", "127.255.255.254", "127.0.0.24", "127.0.0.1", "10.0.0.1"} {
		m := new(dns.Msg)
		m.SetQuestion("x.example.dbl.spamhaus.org.", dns.TypeA)
		m.Response = true
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "x.example.dbl.spamhaus.org.", Rrtype: dns.TypeA,
			Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)})
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	nx := new(dns.Msg)
	nx.SetQuestion("x.example.dbl.spamhaus.org.", dns.TypeA)
	nx.Rcode = dns.RcodeNameError
	b, _ := nx.Pack()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		m := new(dns.Msg)
		if m.Unpack(in) == nil {
			for i := range zones {
				r, _, err := decodeResponse(&zones[i], "x.example.dbl.spamhaus.org.", m)
				if err != nil && r.Listed {
					t.Fatal("listed with an error")
				}
			}
		}
		var addrs []netip.Addr
		for i := 0; i+4 <= len(in) && len(addrs) < 8; i += 4 {
			addrs = append(addrs, netip.AddrFrom4([4]byte(in[i:i+4])))
		}
		for i := range zones {
			z := &zones[i]
			r, err := z.Decode(addrs)
			if err != nil {
				if r.Listed {
					t.Fatal("listed with an error")
				}
				continue
			}
			for _, a := range r.Codes {
				if _, isErr := z.Errors[a]; isErr || (z.ErrorRange.IsValid() && z.ErrorRange.Contains(a)) ||
					a.As4()[3]&z.ErrorBits != 0 || !a.Is4() || a.As4()[0] != 127 {
					t.Fatalf("%s: error or foreign code %s read as a listing", z.Name, a)
				}
			}
			if r.Listed != (len(addrs) > 0) {
				t.Fatalf("%s: listed=%v for %v", z.Name, r.Listed, addrs)
			}
		}
	})
}

func withMax(l Limits, max int) Limits {
	l.MaxLineBytes = max
	return l
}
