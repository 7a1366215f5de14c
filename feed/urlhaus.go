package feed

import (
	"io"

	"github.com/tldguard/tldguard"
)

// URLhaus CSV dumps (csv_recent, csv_online, the full csv.txt) open with
// comment lines, the last of which is the header:
//
//	# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
//
// followed by fully quoted rows. Every URL in it is a malware download site.
var urlhausLayout = csvLayout{
	what:     "URLhaus CSV",
	delim:    ',',
	comment:  "#",
	required: []string{"url"},
	value:    "url",
	expected: []string{"id", "dateadded", "url_status", "threat", "tags", "urlhaus_link"},
}

// ReadURLhaus reads a URLhaus CSV dump and calls fn with one malware entry
// per URL whose host is a name; URLs on IP addresses are counted in
// Stats.SkippedIP. A missing or changed header, an empty file or bad rows
// beyond lim return an EUNPROCESSABLE *tldguard.Error wrapping ErrDrift.
func ReadURLhaus(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: FormatURLhaus}
	var id, added, url, status, tags, link int
	err := readCSV(r, &urlhausLayout, lim, &st,
		func(c columns) error {
			id, added, url, status = c.at("id"), c.at("dateadded"), c.at("url"), c.at("url_status")
			tags, link = c.at("tags"), c.at("urlhaus_link")
			return nil
		},
		func(f *row, e *Entry) (rowResult, string) {
			res, reason := setHost(e, f.get(url))
			if res != rowEntry {
				return res, reason
			}
			if e.URL == "" {
				// URLhaus lists URLs; a bare name is still a finding.
				e.URL = e.Host
			}
			e.Threat = tldguard.ThreatMalware
			e.ID = f.get(id)
			e.Added = f.get(added)
			e.Status = f.get(status)
			e.Tags = splitTags(f.get(tags))
			e.Ref = f.get(link)
			return rowEntry, ""
		}, fn)
	return st, err
}
