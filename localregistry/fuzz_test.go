package localregistry_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
	"github.com/tldguard/tldguard/localregistry"
)

var lineField = regexp.MustCompile(`^line ([0-9]+)$`)

// checkLine fails unless err is an EINVALID error whose Field names a line
// of data (the line after the last is where an unterminated field ends).
func checkLine(t *testing.T, data []byte, err error) {
	t.Helper()
	m := lineField.FindStringSubmatch(tldguard.ErrorField(err))
	if tldguard.ErrorKind(err) != tldguard.EINVALID || m == nil {
		t.Fatalf("error %v does not name a line", err)
	}
	n, _ := strconv.Atoi(m[1])
	if lines := bytes.Count(data, []byte("\n")) + 1; n < 1 || n > lines {
		t.Fatalf("error %v names line %d of %d", err, n, lines)
	}
	if tldguard.ErrorMessage(err) == "" {
		t.Fatal("an error without a message")
	}
}

func seeds(f *testing.F, file string, more ...string) {
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range more {
		f.Add([]byte(s))
	}
}

// FuzzReadRegistrations reads any input: it never panics, every error
// names a line, and every row it passes on is valid: a normalised name, a
// registrar id, a creation time, known statuses in their spelling.
func FuzzReadRegistrations(f *testing.F) {
	seeds(f, "registrations.csv",
		"name,registrar_id,created,statuses,updated\na.example,1,2024-05-01,ok,\n",
		"name,registrar_id,created\n\"a\nb\",1,2024-05-01T00:00:00Z\n",
		"name,registrar_id,created\na\"b,1,x\n",
		"\ufeffNAME,Registrar_ID,created\r\nBücher.example,1,2024-05-01\r\n",
		"name,registrar_id,created,statuses\nx,1,2024-05-01,ok serverHold;CLIENTHOLD,\n",
		"name,name\n",
		"",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		last := int64(0)
		err := localregistry.ReadRegistrations(bytes.NewReader(data), func(row *localregistry.RegistrationRow, err error) error {
			if err != nil {
				checkLine(t, data, err)
				return nil
			}
			if row.Line <= last {
				t.Fatalf("line %d after %d", row.Line, last)
			}
			last = row.Line
			if n, err := dnsname.Normalize(row.Name); err != nil || n != row.Name {
				t.Fatalf("name %q is not normalised: %q %v", row.Name, n, err)
			}
			if row.RegistrarID == "" || row.Created.IsZero() || len(row.Statuses) == 0 {
				t.Fatalf("row %+v", row)
			}
			if len(row.Statuses) > 1 && slices.Contains(row.Statuses, "ok") {
				t.Fatalf("ok with other statuses: %q", row.Statuses)
			}
			return nil
		})
		if err != nil {
			checkLine(t, data, err)
		}
	})
}

// FuzzReadRegistrars reads any input: it never panics, every error names
// a line, and every row it passes on has an id and a name.
func FuzzReadRegistrars(f *testing.F) {
	seeds(f, "registrars.csv",
		"id,name\n1,One\n",
		"ID,Name,abuse_email,abuse_phone\r\n1,\"A, B\",abuse@a.example,+1.5555550100\r\n",
		"id,name,abuse_email\n1,One,<x@y>\n",
		"id,name\n1\n",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := localregistry.ReadRegistrars(bytes.NewReader(data), func(row *localregistry.RegistrarRow, err error) error {
			if err != nil {
				checkLine(t, data, err)
				return nil
			}
			if row.Registrar.ID == "" || row.Registrar.Name == "" || row.Line < 2 {
				t.Fatalf("row %+v", row)
			}
			return nil
		})
		if err != nil {
			checkLine(t, data, err)
		}
	})
}
