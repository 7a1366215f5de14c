package rdap

import (
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// FuzzDomainResponse feeds arbitrary bodies to the domain decoder. Whatever
// the input it must not panic, must fail only with EUNPROCESSABLE, and
// what it accepts must be a well-formed registration.
func FuzzDomainResponse(f *testing.F) {
	for _, name := range []string{"gtld_idn.json", "cctld_minimal.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{
		`{"ldhName":"a.example","entities":[{"roles":["registrar"],"vcardArray":["vcard",[["fn",{"type":["a",1]},"text",[[["x"]]]]]],"entities":[{"roles":["abuse"],"vcardArray":["vcard",[["tel",{},"uri","tel:"]]]}]}]}`,
		`{"ldhName":"a.example","events":[{"eventAction":"last changed","eventDate":"2025-01-01T00:00:00Z"}],"status":["server hold","x"]}`,
		`{"errorCode":404}`,
		`[["vcard"]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeDomain(body, "")
		if err != nil {
			if k := tldguard.ErrorKind(err); k != tldguard.EUNPROCESSABLE {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		r := d.reg
		if r.Name == "" || r.Name != strings.ToLower(r.Name) || strings.HasSuffix(r.Name, ".") {
			t.Fatalf("accepted a bad name %q", r.Name)
		}
		if checkLDH(r.Name) != nil {
			t.Fatalf("accepted a name that is not LDH: %q", r.Name)
		}
		for _, ns := range r.NameServers {
			if checkLDH(ns) != nil {
				t.Fatalf("accepted a bad name server %q", ns)
			}
		}
		if d.registrar != nil && (d.registrar.ID != r.RegistrarID || d.registrar.Name != r.RegistrarName) {
			t.Fatalf("registrar %+v disagrees with the registration %+v", d.registrar, r)
		}
		// Decoding what was accepted again gives the same answer.
		if _, err := decodeDomain(body, r.Name); err != nil {
			t.Fatalf("accepted without a wanted name, refused with it: %v", err)
		}
	})
}
