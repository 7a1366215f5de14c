package localregistry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
)

// importFiles reads the given files into an import of "example" (with
// "co.example" also one of the operator's TLDs); a file name "" is not
// read, and a name without a dot is inline text.
type importFiles struct {
	zone, registrations, registrars string
}

func open(t *testing.T, name string) *strings.Reader {
	t.Helper()
	if strings.Contains(name, "\n") || !strings.Contains(name, ".") {
		return strings.NewReader(name)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

func runImport(t *testing.T, f importFiles, known ...*tldguard.Registrar) (*localregistry.Import, *localregistry.Summary, error) {
	t.Helper()
	im, err := localregistry.NewImport("example", []string{"example", "co.example", "test"}, known)
	if err != nil {
		t.Fatal(err)
	}
	if f.registrars != "" {
		if err := im.ReadRegistrars(open(t, f.registrars), "registrars.csv"); err != nil {
			t.Fatal(err)
		}
	}
	if f.zone != "" {
		if err := im.ReadZone(context.Background(), open(t, f.zone), "example.zone", nil); err != nil {
			t.Fatal(err)
		}
	}
	if f.registrations != "" {
		if err := im.ReadRegistrations(open(t, f.registrations), "registrations.csv", nil); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := im.Merge()
	return im, sum, err
}

// render shows a registration on one line.
func render(r *tldguard.Registration) string {
	date := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s %s registrar=%q statuses=%s ns=%s created=%s updated=%s", r.Name, r.TLD, r.RegistrarID,
		strings.Join(r.Statuses, ","), strings.Join(r.NameServers, ","), date(r.CreatedAt), date(r.UpdatedAt))
}

// TestImportFiles reads the files under testdata/: the zone in CZDS and
// master-file form, with CRLF line ends and gzip-compressed, and the CSV
// files with a byte order mark, CRLF, quoted fields, columns in another
// order, IDN and upper-case names.
func TestImportFiles(t *testing.T) {
	want := []string{
		`alpha.example example registrar="1001" statuses=ok ns=ns1.host.test,ns2.host.test created=2020-01-02T00:00:00Z updated=-`,
		`bravo.example example registrar="1001" statuses=clientDeleteProhibited,clientTransferProhibited ns=ns1.bravo.example,ns2.bravo.example created=2021-03-04T05:06:07Z updated=2024-01-01T00:00:00.5Z`,
		`charlie.example example registrar="1002" statuses=clientHold,serverTransferProhibited ns=ns1.host.test,ns2.host.test created=2022-02-02T00:00:00Z updated=-`,
		`delta.example example registrar="1001" statuses=ok ns=ns1.delta.example created=2023-07-08T00:00:00Z updated=-`,
		`nocsv.example example registrar="" statuses=ok ns=ns1.host.test created=- updated=-`,
		`onhold.example example registrar="1002" statuses=serverHold ns= created=2019-12-31T00:00:00Z updated=2025-01-01T00:00:00Z`,
		`xn--bcher-kva.example example registrar="1002" statuses=ok ns=ns1.host.test,ns2.host.test created=2022-02-02T08:00:00Z updated=-`,
	}
	for _, zone := range []string{"example.zone", "example-crlf.zone", "example.zone.gz"} {
		t.Run(zone, func(t *testing.T) {
			im, sum, err := runImport(t, importFiles{zone: zone, registrations: "registrations.csv", registrars: "registrars.csv"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range im.Names() {
				got = append(got, render(im.Registration(name)))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("registrations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			wantSum := localregistry.Summary{TLD: "example", ZoneSerial: 2025010101, Delegated: 6, CSVOnly: 1, NoRow: 1, Unpublished: 1, Registrars: 2,
				FirstNoRow: "nocsv.example", FirstUnpublished: "charlie.example"}
			if *sum != wantSum {
				t.Errorf("summary %+v\nwant    %+v", *sum, wantSum)
			}
			rs := im.Registrars()
			if len(rs) != 2 || *rs[0] != (tldguard.Registrar{ID: "1001", Name: "Registrar One, Inc.", AbuseEmail: "abuse@one.example", AbusePhone: "+1.5555550100"}) ||
				rs[1].Name != `Registrar "Two"` {
				t.Errorf("registrars %+v %+v", rs[0], rs[1])
			}
		})
	}
}

// TestImportZoneOnly: without CSV files every delegated name comes in with
// no registrar and the status ok; the registrations share their name
// server lists but a caller cannot change another's.
func TestImportZoneOnly(t *testing.T) {
	im, sum, err := runImport(t, importFiles{zone: "example.zone"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delegated != 6 || sum.NoRow != 6 || sum.CSVOnly != 0 || len(im.Names()) != 6 {
		t.Errorf("summary %+v, names %q", sum, im.Names())
	}
	a, b := im.Registration("alpha.example"), im.Registration("xn--bcher-kva.example")
	a.NameServers[0] = "changed.test"
	if b.NameServers[0] != "ns1.host.test" || im.Registration("alpha.example").NameServers[0] != "ns1.host.test" {
		t.Error("registrations share a name-server slice")
	}
	if im.Registration("nobody.example") != nil {
		t.Error("a registration for a name not in the import")
	}
}

// TestImportProblems: each file with problems is refused with every
// problem named by file and line, and the import holds nothing to write.
func TestImportProblems(t *testing.T) {
	const soa = "example.\t86400\tin\tsoa\ta.nic.example. h.nic.example. 1 2 3 4 5\n"
	const head = "name,registrar_id,created,statuses\n"
	const registrars = "id,name\n1001,One\n1002,Two\n"
	tests := []struct {
		name  string
		files importFiles
		want  []string // each in the error, in order
	}{
		{"names outside the TLD, below a name, in another TLD",
			importFiles{zone: "example.zone", registrars: registrars, registrations: head +
				"a.test,1001,2024-05-01,\nwww.alpha.example,1001,2024-05-01,\nx.co.example,1001,2024-05-01,\nco.example,1001,2024-05-01,\nexample,1001,2024-05-01,\n"},
			[]string{"5 problems in the import files:",
				"registrations.csv line 2: a.test is not in example",
				"registrations.csv line 3: www.alpha.example is not a registered name: it is below alpha.example",
				"registrations.csv line 4: x.co.example is in co.example, another TLD: import it with that TLD",
				`registrations.csv line 5: "co.example" is a TLD this registry operates, not a registered name`,
				"registrations.csv line 6: example is not in example"}},
		{"duplicates, also in another spelling",
			importFiles{registrars: registrars, registrations: head + "a.example,1001,2024-05-01,\nA.EXAMPLE.,1001,2024-05-01,\nbücher.example,1001,2024-05-01,\nxn--bcher-kva.example,1001,2024-05-01,\n"},
			[]string{"2 problems", "registrations.csv line 3: a.example is on line 2 already", "registrations.csv line 5: xn--bcher-kva.example is on line 4 already"}},
		{"registrar nowhere",
			importFiles{registrars: registrars, registrations: head + "a.example,1001,2024-05-01,\nb.example,4242,2024-05-01,\n"},
			[]string{"1 problem", "registrations.csv line 3: registrar 4242 of b.example is not in the registrars file or the registrar table"}},
		{"registrar nowhere, no registrars file",
			importFiles{registrations: head + "b.example,4242,2024-05-01,\n"},
			[]string{"registrations.csv line 2: registrar 4242 of b.example is not in the registrar table"}},
		{"bad rows in both CSV files",
			importFiles{registrars: "id,name\n1001,One\n1001,Again\n,Nobody\n", registrations: head + "a.example,1001,2024-02-30,\nb.example,1001\n"},
			[]string{"4 problems",
				"registrars.csv line 3: registrar 1001 is on line 2 already",
				"registrars.csv line 4: id is empty",
				`registrations.csv line 2: created "2024-02-30": want an RFC 3339 time`,
				"registrations.csv line 3: the row has 2 fields, the header 4"}},
		{"a bad header stops that file only",
			importFiles{zone: soa + "a.example.\t1\tin\tns\tns..test.\n", registrations: "name,registrar,created\n"},
			[]string{"2 problems",
				`example.zone line 2: NS rdata: "ns..test.": empty label`,
				`registrations.csv line 1: unknown column "registrar"`}},
		{"bad zone lines and names",
			importFiles{zone: soa + "a.example. 1 IN NS\nb\\.x.example. NS ns.test.\n_dmarc.example. NS ns.test.\n-x.example. NS ns.test.\nc.example. NS 192.0.2.1.\nd.example. NS .\n"},
			[]string{"6 problems",
				"example.zone line 2: NS rdata: want one name",
				`example.zone line 3: delegated name "b\\.x.example": a label has the character '\\'`,
				`example.zone line 4: delegated name: "_dmarc.example" cannot be a registered name: the label "_dmarc" has an underscore`,
				`example.zone line 5: delegated name: "-x.example" cannot be a registered name: the label "-x" starts with a hyphen`,
				`example.zone line 6: name server of c.example: "192.0.2.1.": the host is an IP address`,
				`example.zone line 7: name server of d.example: ".": the name is only a dot`}},
		{"not this TLD's zone",
			importFiles{zone: "test.\t1\tin\tsoa\ta.nic.test. h.nic.test. 1 2 3 4 5\na.test.\t1\tin\tns\tns.test.\n"},
			[]string{"1 problem", "example.zone: no SOA record for example: is this the zone of example?"}},
		{"$INCLUDE",
			importFiles{zone: soa + "$INCLUDE other.zone\n"},
			[]string{"example.zone line 2: $INCLUDE is not supported"}},
		{"many problems are cut short",
			importFiles{registrations: head + strings.Repeat("x.test,1001,2024-05-01,\n", 25)},
			[]string{"25 problems", "registrations.csv line 21: x.test is not in example", "... and 5 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runImport(t, tt.files, &tldguard.Registrar{ID: "1001"})
			if tldguard.ErrorKind(err) != tldguard.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			msg := tldguard.ErrorMessage(err)
			at := 0
			for _, w := range tt.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("%q not in (or out of order in)\n%s", w, msg)
				}
				at += i + len(w)
			}
		})
	}
}

// TestImportZoneNames: delegations of another TLD's names and below
// registered names are counted and skipped, records outside the TLD
// ignored, and NS records of one name split over the file add up.
func TestImportZoneNames(t *testing.T) {
	zone := "example.\t86400\tin\tsoa\ta.nic.example. h.nic.example. 1 2 3 4 5\n" +
		"co.example.\t1\tin\tns\tns.co.example.\n" +
		"x.co.example.\t1\tin\tns\tns.test.\n" +
		"a.b.example.\t1\tin\tns\tns.test.\n" +
		"a.example.\t1\tin\tns\tns2.test.\n" +
		"c.example.\t1\tin\tns\tns1.test.\n" +
		"a.example.\t1\tin\tns\tNS1.TEST.\n" +
		"a.example.\t1\tin\tns\tns2.test.\n" +
		"elsewhere.test.\t1\tin\tns\tns1.test.\n"
	im, sum, err := runImport(t, importFiles{zone: zone})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(im.Names(), []string{"a.example", "c.example"}) {
		t.Errorf("names %q", im.Names())
	}
	if ns := im.Registration("a.example").NameServers; !slices.Equal(ns, []string{"ns1.test", "ns2.test"}) {
		t.Errorf("a.example name servers %q", ns)
	}
	if sum.OtherTLD != 2 || sum.FirstOtherTLD != "co.example" || sum.Deeper != 1 || sum.FirstDeeper != "a.b.example" || sum.OutOfZone != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestNewImport(t *testing.T) {
	if _, err := localregistry.NewImport("nope", []string{"example"}, nil); tldguard.ErrorKind(err) != tldguard.EUNPROCESSABLE {
		t.Errorf("a TLD that is not configured: %v", err)
	}
	im, err := localregistry.NewImport(" .EXAMPLE ", []string{"example"}, nil)
	if err != nil || im.TLD() != "example" {
		t.Errorf("TLD %v %v", im, err)
	}
}
