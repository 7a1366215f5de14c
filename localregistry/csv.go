package localregistry

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
)

// The CSV files of an import. Both have a header row naming their columns,
// in any order and case; data rows must have as many fields as the header.
// A UTF-8 byte order mark, CRLF line ends, quoted fields and blank lines
// are accepted, as spreadsheets write them.

// RegistrationRow is one data row of a registrations CSV: the columns
// name, registrar_id and created, and optionally statuses and updated.
type RegistrationRow struct {
	Line        int64  // the line the row starts on
	Name        string // normalised by dnsname.Normalize: A-labels, lower case
	RegistrarID string
	// Statuses are EPP domain statuses (RFC 5731, RFC 3915) in their
	// standard spelling, without repeats; ["ok"] when the cell is empty.
	// "ok" given with other statuses is dropped, as "ok" means none.
	Statuses []string
	Created  time.Time // UTC, microsecond precision
	Updated  time.Time // zero when the column or the cell is empty
}

// RegistrarRow is one data row of a registrars CSV: the columns id and
// name, and optionally abuse_email and abuse_phone.
type RegistrarRow struct {
	Line      int64
	Registrar tldguard.Registrar
}

var (
	registrationColumns = []column{{"name", true}, {"registrar_id", true}, {"created", true}, {"statuses", false}, {"updated", false}}
	registrarColumns    = []column{{"id", true}, {"name", true}, {"abuse_email", false}, {"abuse_phone", false}}
)

// ReadRegistrations reads a registrations CSV from r and calls fn for each
// data row, in file order, with the row or with what is wrong with it: an
// *tldguard.Error of kind EINVALID whose Field is "line N" and whose
// message names the column ("created \"2024-13-01\": ..."). fn's error
// stops the read and is returned as it is. The row is reused: fn copies
// what it keeps of it (the strings are its own).
//
// A problem with the file as a whole (no header, an unknown, repeated or
// missing column, broken quoting) stops the read with an EINVALID error
// naming the line; an I/O error is EINTERNAL.
func ReadRegistrations(r io.Reader, fn func(row *RegistrationRow, err error) error) error {
	t, err := openTable(r, registrationColumns)
	if err != nil {
		return err
	}
	name, registrar, created, statuses, updated := t.col["name"], t.col["registrar_id"], t.col["created"], t.col["statuses"], t.col["updated"]
	var row RegistrationRow
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	return t.rows(func(line int64, rec []string, err error) error {
		if err != nil {
			return fn(nil, err)
		}
		row = RegistrationRow{Line: line}
		problems = problems[:0]

		switch n := cell(rec, name); {
		case n == "":
			bad("name is empty")
		default:
			norm, err := dnsname.Normalize(n)
			if err != nil {
				bad("name %s", tldguard.ErrorMessage(err))
			} else {
				row.Name = strings.Clone(norm)
			}
		}
		if id := cell(rec, registrar); id == "" {
			bad("registrar_id is empty")
		} else if msg := checkRegistrarID(id); msg != "" {
			bad("registrar_id %s: %s", quote(id), msg)
		} else {
			row.RegistrarID = strings.Clone(id)
		}
		if c := cell(rec, created); c == "" {
			bad("created is empty")
		} else if tm, msg := parseTime(c); msg != "" {
			bad("created %s: %s", quote(c), msg)
		} else {
			row.Created = tm
		}
		if u := cell(rec, updated); u != "" {
			if tm, msg := parseTime(u); msg != "" {
				bad("updated %s: %s", quote(u), msg)
			} else {
				row.Updated = tm
			}
		}
		st, msg := parseStatuses(cell(rec, statuses))
		if msg != "" {
			bad("statuses: %s", msg)
		}
		row.Statuses = st
		if len(problems) > 0 {
			return fn(nil, lineError(line, "%s", strings.Join(problems, "; ")))
		}
		return fn(&row, nil)
	})
}

// ReadRegistrars reads a registrars CSV from r and calls fn for each data
// row, as ReadRegistrations does: with the row, or with an EINVALID error
// whose Field is "line N". The id is a registrar id (the IANA id for a
// gTLD: letters, digits, "-", "_" or ".", at most 64); the name is
// required; an abuse e-mail, when given, is a plain address, and an abuse
// phone holds digits and the usual punctuation.
func ReadRegistrars(r io.Reader, fn func(row *RegistrarRow, err error) error) error {
	t, err := openTable(r, registrarColumns)
	if err != nil {
		return err
	}
	id, name, email, phone := t.col["id"], t.col["name"], t.col["abuse_email"], t.col["abuse_phone"]
	var row RegistrarRow
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	return t.rows(func(line int64, rec []string, err error) error {
		if err != nil {
			return fn(nil, err)
		}
		row = RegistrarRow{Line: line}
		problems = problems[:0]

		if v := cell(rec, id); v == "" {
			bad("id is empty")
		} else if msg := checkRegistrarID(v); msg != "" {
			bad("id %s: %s", quote(v), msg)
		} else {
			row.Registrar.ID = strings.Clone(v)
		}
		if v := cell(rec, name); v == "" {
			bad("name is empty")
		} else if msg := checkText(v, 255); msg != "" {
			bad("name %s: %s", quote(v), msg)
		} else {
			row.Registrar.Name = strings.Clone(v)
		}
		if v := cell(rec, email); v != "" {
			if a, err := mail.ParseAddress(v); err != nil || a.Name != "" || a.Address != v || len(v) > 254 {
				bad("abuse_email %s: want a plain e-mail address (abuse@registrar.example)", quote(v))
			} else {
				row.Registrar.AbuseEmail = strings.Clone(v)
			}
		}
		if v := cell(rec, phone); v != "" {
			if msg := checkPhone(v); msg != "" {
				bad("abuse_phone %s: %s", quote(v), msg)
			} else {
				row.Registrar.AbusePhone = strings.Clone(v)
			}
		}
		if len(problems) > 0 {
			return fn(nil, lineError(line, "%s", strings.Join(problems, "; ")))
		}
		return fn(&row, nil)
	})
}

// column is a column a CSV file may have.
type column struct {
	name     string
	required bool
}

// table is a CSV file whose header has been read.
type table struct {
	r     *csv.Reader
	col   map[string]int // column name to index; -1 when absent
	width int
}

// openTable reads the header row and checks it against the columns.
func openTable(r io.Reader, columns []column) (*table, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // the header sets the width; rows must match it
	want := make([]string, len(columns))
	for i, c := range columns {
		want[i] = c.name
	}
	list := strings.Join(want, ", ")
	head, err := cr.Read()
	if err == io.EOF {
		return nil, lineError(1, "the file is empty: the first row must name the columns (%s)", list)
	}
	if err != nil {
		return nil, csvError(err)
	}
	line, _ := cr.FieldPos(0)
	t := &table{r: cr, col: make(map[string]int, len(columns)), width: len(head)}
	for _, c := range columns {
		t.col[c.name] = -1
	}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		j, known := t.col[h]
		switch {
		case h == "":
			return nil, lineError(int64(line), "column %d has no name (the columns are %s)", i+1, list)
		case !known:
			return nil, lineError(int64(line), "unknown column %s (the columns are %s; the first row must name them)", quote(h), list)
		case j >= 0:
			return nil, lineError(int64(line), "column %s appears twice", quote(h))
		}
		t.col[h] = i
	}
	for _, c := range columns {
		if c.required && t.col[c.name] < 0 {
			return nil, lineError(int64(line), "no column %s (the header has %s; the file needs %s)", quote(c.name), quote(strings.Join(head, ",")), requiredList(columns))
		}
	}
	return t, nil
}

// rows calls fn with each data row and its line, or with the error of a
// row whose width is not the header's.
func (t *table) rows(fn func(line int64, rec []string, err error) error) error {
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			err := lineError(int64(pe.StartLine), "the row has %d fields, the header %d", len(rec), t.width)
			if err := fn(int64(pe.StartLine), nil, err); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := t.r.FieldPos(0)
		if err := fn(int64(line), rec, nil); err != nil {
			return err
		}
	}
}

// cell returns a row's trimmed cell in column i, "" when the column is absent.
func cell(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// lineError is a problem on a line of a file: the caller puts the file's
// name in front of the Field.
func lineError(line int64, format string, args ...any) *tldguard.Error {
	return tldguard.FieldErrorf(tldguard.EINVALID, "line "+strconv.FormatInt(line, 10), format, args...)
}

// csvError turns an encoding/csv error into a problem on its line, or an
// I/O error into an internal one.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			msg = `a quoted field has a stray or missing quote (write "" for a quote inside a quoted field)`
		case errors.Is(pe.Err, csv.ErrBareQuote):
			msg = `a field that is not quoted has a quote in it (quote the field and write "" for the quote)`
		}
		return lineError(int64(pe.Line), "column %d: %s", pe.Column, msg)
	}
	return tldguard.Internal(err, "reading CSV")
}

func requiredList(columns []column) string {
	var names []string
	for _, c := range columns {
		if c.required {
			names = append(names, c.name)
		}
	}
	return strings.Join(names, ", ")
}

// quote quotes a cell for a message, cut short when it is long.
func quote(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "..."
	}
	return strconv.Quote(s)
}

// firstRegistration bounds the dates of registration data: the first
// domain names were registered in 1985, and the zero time means "unknown"
// in the store.
var firstRegistration = time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC)

// parseTime reads an RFC 3339 time, with or without fractional seconds,
// or a YYYY-MM-DD date (midnight UTC). It returns what is wrong, or "".
func parseTime(s string) (time.Time, string) {
	layout := time.RFC3339Nano
	if len(s) == len("2006-01-02") {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, "want an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)"
	}
	if t.Before(firstRegistration) {
		return time.Time{}, "before 1985, when the first domain names were registered"
	}
	return tldguard.Truncate(t), ""
}

// eppStatuses are the EPP domain statuses, by their lower-case spelling:
// RFC 5731 §2.3 and the grace periods of RFC 3915.
var eppStatuses = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"ok", "inactive",
		"clientDeleteProhibited", "clientHold", "clientRenewProhibited", "clientTransferProhibited", "clientUpdateProhibited",
		"serverDeleteProhibited", "serverHold", "serverRenewProhibited", "serverTransferProhibited", "serverUpdateProhibited",
		"pendingCreate", "pendingDelete", "pendingRenew", "pendingRestore", "pendingTransfer", "pendingUpdate",
		"addPeriod", "autoRenewPeriod", "renewPeriod", "redemptionPeriod", "transferPeriod",
	} {
		m[strings.ToLower(s)] = s
	}
	return m
}()

// parseStatuses reads statuses separated by spaces, semicolons or commas,
// in any case. It returns ["ok"] for none, and what is wrong, or "".
func parseStatuses(s string) ([]string, string) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || unicode.IsSpace(r) }) {
		st, ok := eppStatuses[strings.ToLower(f)]
		if !ok {
			return nil, fmt.Sprintf("%s is not an EPP domain status", quote(f))
		}
		if st != "ok" && !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		out = []string{"ok"}
	}
	return out, ""
}

// checkRegistrarID says what is wrong with a registrar id, or "".
func checkRegistrarID(id string) string {
	if len(id) > 64 {
		return "longer than 64 characters"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return `want letters, digits, "-", "_" or "." (an IANA registrar id is a number)`
		}
	}
	return ""
}

// checkText says what is wrong with a name shown to people, or "".
func checkText(s string, max int) string {
	if len(s) > max {
		return fmt.Sprintf("longer than %d bytes", max)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return "has a control character or is not UTF-8"
		}
	}
	return ""
}

// checkPhone says what is wrong with a phone number, or "". EPP writes
// +1.5555550100; people write +1 555 555 0100 x12.
func checkPhone(s string) string {
	if len(s) > 64 {
		return "longer than 64 characters"
	}
	digits := 0
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits++
		case strings.ContainsRune("+.-() x/", r):
		default:
			return "want digits, spaces and + . - ( ) x /"
		}
	}
	if digits == 0 {
		return "has no digits"
	}
	return ""
}
