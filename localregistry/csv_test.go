package localregistry_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
)

// readRegistrations renders each row ("3 a.example 1001 ok 2024-05-01T00:00:00Z -")
// and each row error ("line 4: ...") in file order.
func readRegistrations(in string) ([]string, error) {
	var out []string
	err := localregistry.ReadRegistrations(strings.NewReader(in), func(row *localregistry.RegistrationRow, err error) error {
		if err != nil {
			out = append(out, tldguard.ErrorMessage(err))
			return nil
		}
		updated := "-"
		if !row.Updated.IsZero() {
			updated = row.Updated.Format(time.RFC3339Nano)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %s %s", row.Line, row.Name, row.RegistrarID,
			strings.Join(row.Statuses, ","), row.Created.Format(time.RFC3339Nano), updated))
		return nil
	})
	return out, err
}

func TestReadRegistrations(t *testing.T) {
	const head = "name,registrar_id,created,statuses\n"
	tests := []struct {
		name  string
		in    string
		want  []string
		fatal string // in the error that stops the read
	}{
		{"plain", head + "a.example,1001,2024-05-01,ok\n",
			[]string{"2 a.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"header only", head, nil, ""},
		{"no final newline", head + "a.example,1001,2024-05-01,ok",
			[]string{"2 a.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"byte order mark and CRLF", "\ufeff" + strings.ReplaceAll(head+"a.example,1001,2024-05-01,ok\n", "\n", "\r\n"),
			[]string{"2 a.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"columns in any order and case, with spaces", " Statuses , CREATED,Registrar_Id,Name\nserverHold,2024-05-01,1001,a.example\n",
			[]string{"2 a.example 1001 serverHold 2024-05-01T00:00:00Z -"}, ""},
		{"quoted fields", head + "\"a.example\",\"1001\",\"2024-05-01\",\"clientHold, serverHold\"\n",
			[]string{"2 a.example 1001 clientHold,serverHold 2024-05-01T00:00:00Z -"}, ""},
		{"a quoted field over two lines", head + "a.example,1001,2024-05-01,\"clientHold\nserverHold\"\nb.example,1001,2024-05-01,\n",
			[]string{"2 a.example 1001 clientHold,serverHold 2024-05-01T00:00:00Z -", "4 b.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"blank lines are skipped", head + "\na.example,1001,2024-05-01,ok\n\n\nb.example,1001,2024-05-01,ok\n",
			[]string{"3 a.example 1001 ok 2024-05-01T00:00:00Z -", "6 b.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"IDN and upper case", head + "Bücher.Example,1001,2024-05-01,\nMÜNCHEN.example.,1001,2024-05-01,\nXN--BCHER-KVA.EXAMPLE,1001,2024-05-01,\n",
			[]string{"2 xn--bcher-kva.example 1001 ok 2024-05-01T00:00:00Z -", "3 xn--mnchen-3ya.example 1001 ok 2024-05-01T00:00:00Z -", "4 xn--bcher-kva.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"statuses", head + "a.example,1,2024-05-01,serverhold;CLIENTHOLD  serverHold\nb.example,1,2024-05-01,ok serverHold\nc.example,1,2024-05-01,  \n",
			[]string{"2 a.example 1 serverHold,clientHold 2024-05-01T00:00:00Z -", "3 b.example 1 serverHold 2024-05-01T00:00:00Z -", "4 c.example 1 ok 2024-05-01T00:00:00Z -"}, ""},
		{"no statuses column", "name,registrar_id,created\na.example,1,2024-05-01\n",
			[]string{"2 a.example 1 ok 2024-05-01T00:00:00Z -"}, ""},
		{"times", "name,registrar_id,created,updated\na.example,1,2024-05-01T12:30:00+02:00,2025-01-02T03:04:05.123456789Z\n",
			[]string{"2 a.example 1 ok 2024-05-01T10:30:00Z 2025-01-02T03:04:05.123456Z"}, ""},
		{"bad dates", "name,registrar_id,created,updated\na.example,1,2024-13-01,\nb.example,1,01/05/2024,\nc.example,1,2024-05-01,yesterday\nd.example,1,0001-01-01,1984-12-31T23:59:59Z\n",
			[]string{`line 2: created "2024-13-01": want an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)`,
				`line 3: created "01/05/2024": want an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)`,
				`line 4: updated "yesterday": want an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)`,
				`line 5: created "0001-01-01": before 1985, when the first domain names were registered; updated "1984-12-31T23:59:59Z": before 1985, when the first domain names were registered`}, ""},
		{"bad cells", head + ",1001,2024-05-01,ok\nexa mple.example,1001,2024-05-01,ok\na.example,,,frozen\na.example,10 01,2024-05-01,ok\n192.0.2.1,1,2024-05-01,ok\n",
			[]string{"line 2: name is empty",
				`line 3: name "exa mple.example": a label has a space`,
				`line 4: registrar_id is empty; created is empty; statuses: "frozen" is not an EPP domain status`,
				`line 5: registrar_id "10 01": want letters, digits, "-", "_" or "." (an IANA registrar id is a number)`,
				`line 6: name "192.0.2.1": the host is an IP address (192.0.2.1), not a domain name`}, ""},
		{"extra and missing fields", head + "a.example,1001,2024-05-01,ok,surprise\nb.example,1001\nc.example,1001,2024-05-01,ok\n",
			[]string{"line 2: the row has 5 fields, the header 4", "line 3: the row has 2 fields, the header 4", "4 c.example 1001 ok 2024-05-01T00:00:00Z -"}, ""},
		{"empty file", "", nil, "line 1: the file is empty: the first row must name the columns (name, registrar_id, created, statuses, updated)"},
		{"no header", "a.example,1001,2024-05-01,ok\n", nil, `line 1: unknown column "a.example"`},
		{"unknown column", "name,registrar_id,created,colour\n", nil, `line 1: unknown column "colour"`},
		{"missing column", "name,created\na.example,2024-05-01\n", nil, `line 1: no column "registrar_id"`},
		{"repeated column", "name,registrar_id,created,Name\n", nil, `line 1: column "name" appears twice`},
		{"unnamed column", "name,,created\n", nil, "line 1: column 2 has no name"},
		{"bare quote", head + "a.example,1001,2024-05-01,ok\nb\"x.example,1001,2024-05-01,ok\n",
			[]string{"2 a.example 1001 ok 2024-05-01T00:00:00Z -"}, "line 3: column 2: a field that is not quoted has a quote in it"},
		{"unterminated quote", head + "a.example,1001,2024-05-01,\"ok\n", nil, "line 2: column 31: a quoted field has a stray or missing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRegistrations(tt.in)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			switch {
			case tt.fatal == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.fatal != "" && !strings.Contains(tldguard.ErrorMessage(err), tt.fatal):
				t.Errorf("error %q, want one with %q", tldguard.ErrorMessage(err), tt.fatal)
			case tt.fatal != "" && tldguard.ErrorKind(err) != tldguard.EINVALID:
				t.Errorf("error kind %q", tldguard.ErrorKind(err))
			}
		})
	}
}

func TestReadRegistrars(t *testing.T) {
	read := func(in string) ([]string, error) {
		var out []string
		err := localregistry.ReadRegistrars(strings.NewReader(in), func(row *localregistry.RegistrarRow, err error) error {
			if err != nil {
				out = append(out, tldguard.ErrorMessage(err))
			} else {
				r := row.Registrar
				out = append(out, fmt.Sprintf("%d %s|%s|%s|%s", row.Line, r.ID, r.Name, r.AbuseEmail, r.AbusePhone))
			}
			return nil
		})
		return out, err
	}
	tests := []struct {
		name  string
		in    string
		want  []string
		fatal string
	}{
		{"all columns", "id,name,abuse_email,abuse_phone\n1001,\"One, Inc.\",abuse@one.example,+1.5555550100\n",
			[]string{"2 1001|One, Inc.|abuse@one.example|+1.5555550100"}, ""},
		{"required columns only, BOM, CRLF", "\ufeffID,Name\r\n1001,One\r\n9999,\"Registry \"\"Reserved\"\"\"\r\n",
			[]string{"2 1001|One||", `3 9999|Registry "Reserved"||`}, ""},
		{"empty optional cells", "id,name,abuse_email,abuse_phone\n1001,One,,\n",
			[]string{"2 1001|One||"}, ""},
		{"bad cells", "id,name,abuse_email,abuse_phone\n,One,abuse@one.example,\n1002,,Abuse <abuse@two.example>,\n1003,Three,abuse@three.example,call us\n1004,Four\x01,,\n",
			[]string{"line 2: id is empty",
				`line 3: name is empty; abuse_email "Abuse <abuse@two.example>": want a plain e-mail address (abuse@registrar.example)`,
				`line 4: abuse_phone "call us": want digits, spaces and + . - ( ) x /`,
				`line 5: name "Four\x01": has a control character or is not UTF-8`}, ""},
		{"extra field", "id,name\n1001,One,x\n1002,Two\n", []string{"line 2: the row has 3 fields, the header 2", "3 1002|Two||"}, ""},
		{"missing column", "id,abuse_email\n", nil, `line 1: no column "name"`},
		{"registrations file given as registrars", "name,registrar_id,created\n", nil, `line 1: unknown column "registrar_id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(tt.in)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.fatal == "" && err != nil || tt.fatal != "" && !strings.Contains(tldguard.ErrorMessage(err), tt.fatal) {
				t.Errorf("error %v, want one with %q", err, tt.fatal)
			}
		})
	}
}
