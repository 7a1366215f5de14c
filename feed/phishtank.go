package feed

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/tldguard/tldguard"
)

// PhishTank's online-valid.csv has a plain first-line header:
//
//	phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target
//
// and online-valid.json is an array of objects with the same keys (plus a
// "details" array this reader ignores).
var phishTankLayout = csvLayout{
	what:     "PhishTank CSV",
	delim:    ',',
	comment:  "#",
	required: []string{"url"},
	value:    "url",
	expected: []string{"phish_id", "phish_detail_url", "submission_time", "verified", "online", "target"},
}

// phishTankRecord is the part of a PhishTank record the entry needs.
type phishTankRecord struct {
	ID        string
	URL       string
	Detail    string
	Submitted string
	Verified  string
	Online    string
	Target    string
}

func (p *phishTankRecord) entry(e *Entry) (rowResult, string) {
	// The online-valid files only hold verified phish; a dump that carries
	// unverified submissions too must not turn them into findings.
	if strings.EqualFold(p.Verified, "no") {
		return rowSkip, "unverified"
	}
	res, reason := setHost(e, p.URL)
	if res != rowEntry {
		return res, reason
	}
	if e.URL == "" {
		e.URL = e.Host
	}
	e.Threat = tldguard.ThreatPhishing
	e.ID = p.ID
	e.Added = p.Submitted
	e.Status = p.Online
	e.Target = p.Target
	e.Ref = p.Detail
	return rowEntry, ""
}

// ReadPhishTankCSV reads PhishTank's CSV dump and calls fn with one
// phishing entry per verified URL whose host is a name. Drift (header
// missing or changed, empty file, bad rows beyond lim) returns an
// EUNPROCESSABLE *tldguard.Error wrapping ErrDrift.
func ReadPhishTankCSV(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: FormatPhishTankCSV}
	var id, url, detail, sub, ver, online, target int
	err := readCSV(r, &phishTankLayout, lim, &st,
		func(c columns) error {
			id, url, detail, sub = c.at("phish_id"), c.at("url"), c.at("phish_detail_url"), c.at("submission_time")
			ver, online, target = c.at("verified"), c.at("online"), c.at("target")
			return nil
		},
		func(f *row, e *Entry) (rowResult, string) {
			p := phishTankRecord{
				ID: f.get(id), URL: f.get(url), Detail: f.get(detail), Submitted: f.get(sub),
				Verified: f.get(ver), Online: f.get(online), Target: f.get(target),
			}
			return p.entry(e)
		}, fn)
	return st, err
}

type phishTankJSON struct {
	ID        flexString `json:"phish_id"`
	URL       *string    `json:"url"`
	Detail    flexString `json:"phish_detail_url"`
	Submitted flexString `json:"submission_time"`
	Verified  flexString `json:"verified"`
	Online    flexString `json:"online"`
	Target    flexString `json:"target"`
}

// ReadPhishTankJSON reads PhishTank's JSON dump, an array of objects, one
// element at a time, and calls fn as ReadPhishTankCSV does. An element that
// is not an object or has no "url" is a bad record; malformed or truncated
// JSON, a top level that is not an array, or drift as for CSV return an
// EUNPROCESSABLE *tldguard.Error wrapping ErrDrift.
func ReadPhishTankJSON(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: FormatPhishTankJSON}
	js := newJSONStream(r, &st, &lim, "PhishTank JSON")
	if err := js.open('['); err != nil {
		return st, err
	}
	for js.more() {
		raw, line, off, err := js.element()
		if err != nil {
			return st, err
		}
		st.Records++
		var v phishTankJSON
		if err := json.Unmarshal(raw, &v); err != nil {
			st.bad(&lim, line, off, "element is not a PhishTank object")
			continue
		}
		if v.URL == nil {
			st.bad(&lim, line, off, `object has no "url" key`)
			continue
		}
		p := phishTankRecord{
			ID: string(v.ID), URL: trimSpace(*v.URL), Detail: string(v.Detail), Submitted: string(v.Submitted),
			Verified: string(v.Verified), Online: string(v.Online), Target: string(v.Target),
		}
		e := Entry{Line: line}
		switch res, reason := p.entry(&e); res {
		case rowEntry:
			st.Entries++
			if err := fn(e); err != nil {
				return st, err
			}
		case rowSkipIP:
			st.SkippedIP++
		case rowSkip:
			st.skip(reason)
		case rowBad:
			st.bad(&lim, line, off, reason)
		}
	}
	if err := js.close(']'); err != nil {
		return st, err
	}
	return st, st.finish(&lim, "PhishTank JSON")
}
