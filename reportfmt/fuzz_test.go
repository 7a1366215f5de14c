package reportfmt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
)

// fuzzContentTypes are the content types FuzzDecode chooses from.
var fuzzContentTypes = []string{"", MediaTypeJSON, MediaTypeXARF, "application/json; charset=utf-8", "text/plain", "application/xarf+json; charset=latin1"}

// FuzzDecode checks that Decode never panics, that every error is an
// EINVALID or ETOOLARGE *tldguard.Error, and that every result keeps the
// invariants, under the default limits and under small ones.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil || len(raw) > 64<<10 {
			continue
		}
		f.Add(raw, uint8(1), false)
		f.Add(raw, uint8(2), true)
	}
	f.Add([]byte(`{"threat_type":"x","names":["a"],"evidence":[{"content_base64":"QQ"}]}`), uint8(0), true)
	f.Fuzz(func(t *testing.T, raw []byte, ct uint8, small bool) {
		lim := DefaultLimits()
		if small {
			lim = Limits{MaxNames: 3, MaxEvidence: 2, MaxEvidenceBytes: 64, MaxTotalEvidenceBytes: 100, MaxTextLen: 120, MaxNameLen: 40, MaxFieldLen: 20}
		}
		in, err := Decode(raw, fuzzContentTypes[int(ct)%len(fuzzContentTypes)], lim)
		if err != nil {
			var e *tldguard.Error
			if !errors.As(err, &e) || (e.Kind != tldguard.EINVALID && e.Kind != tldguard.ETOOLARGE) || e.Message == "" {
				t.Fatalf("error %T %#v", err, err)
			}
			if in != nil {
				t.Fatal("a result and an error")
			}
			return
		}
		if err := invariants(in, lim); err != nil {
			t.Fatalf("%v\n%s", err, dump(in))
		}
	})
}

// FuzzSniff checks the quick top-level key scan against a full decode.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{`{"xarf_version":"4.0.0"}`, `{"Version":"3","Report":{}}`, `{"a":["Version",{"Report":1}],"Versio\u006e":2}`, `{"ReporterInfo":{},"Report":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return
		}
		_, v4 := m["xarf_version"]
		_, report := m["Report"]
		_, version := m["Version"]
		_, info := m["ReporterInfo"]
		want := topLevel{xarfVersion: v4, report: report, version: version, reporterInfo: info}
		if got := sniff(raw); got != want {
			t.Fatalf("sniff(%q) = %+v, want %+v", raw, got, want)
		}
	})
}

// FuzzBase64 checks the evidence decoder against the standard library and
// that its size check, made before decoding, is exact.
func FuzzBase64(f *testing.F) {
	for _, s := range []string{"", "QQ==", "QQ", "QUJD", "QUJDRA", "QU\r\nJD", "Q===", "-_", "QUJD=QUJD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := budget{lim: Limits{MaxEvidence: 1, MaxEvidenceBytes: 1 << 20, MaxTotalEvidenceBytes: 1 << 20}}
		got, err := b.base64("x", s)
		want, werr := base64.StdEncoding.DecodeString(s)
		if werr != nil {
			want, werr = base64.RawStdEncoding.DecodeString(s)
		}
		if err != nil {
			if tldguard.ErrorKind(err) != tldguard.EINVALID {
				t.Fatalf("base64(%q): %v", s, err)
			}
			if werr == nil && !strings.ContainsAny(s, "-_") {
				t.Fatalf("base64(%q) refused what the standard library decodes: %v", s, err)
			}
			return
		}
		if werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("base64(%q) = %x, standard library %x, %v", s, got, want, werr)
		}
		if b.total != int64(len(got)) {
			t.Fatalf("base64(%q) counted %d bytes, decoded %d", s, b.total, len(got))
		}
	})
}
