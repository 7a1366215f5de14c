package feed

import (
	"io"
	"strings"

	"github.com/tldguard/tldguard"
)

// CSVConfig maps an operator's own CSV feed. Columns are named by their
// header, never by position; header names match without regard to case.
type CSVConfig struct {
	// Column holds the URL or name (required).
	Column string
	// ThreatColumn, when set, holds a value that ThreatMap turns into a
	// threat type. Values are matched exactly, then without regard to case.
	ThreatColumn string
	ThreatMap    map[string]tldguard.ThreatType
	// Threat is the threat type of every row when ThreatColumn is empty, and
	// of rows whose value ThreatMap does not know otherwise. When it is
	// empty such rows are skipped and counted by value.
	Threat tldguard.ThreatType
	// Delimiter separates fields (default ',').
	Delimiter rune
	// Comment starts a comment line ("" for none). The header may itself be
	// a comment line, as abuse.ch writes it.
	Comment string

	// Optional columns copied into the entry.
	IDColumn, AddedColumn, FamilyColumn, TargetColumn, RefColumn, TagsColumn string
	// Extra names further columns kept in Entry.Extra under their header name.
	Extra []string
}

// Validate checks the mapping; errors are EINVALID and name the field.
func (c CSVConfig) Validate() error {
	if trimSpace(c.Column) == "" {
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.column", "the column holding the URL or name is required")
	}
	switch d := c.delim(); {
	case d >= 0x80 || d == 0:
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.delimiter", "the delimiter must be one ASCII character")
	case d == '"' || d == '\n' || d == '\r':
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.delimiter", "the delimiter cannot be a quote or a line break")
	case c.Comment != "" && rune(c.Comment[0]) == d:
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.comment", "the comment prefix cannot start with the delimiter")
	}
	if c.Threat != "" && !c.Threat.Valid() {
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat", "unknown threat type %q", c.Threat)
	}
	if c.ThreatColumn == "" {
		if c.Threat == "" {
			return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat", "a fixed threat type or a threat column is required")
		}
		if len(c.ThreatMap) > 0 {
			return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat_map", "a threat map needs a threat column")
		}
	} else if len(c.ThreatMap) == 0 && c.Threat == "" {
		return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat_map", "a threat column needs a threat map")
	}
	for k, v := range c.ThreatMap {
		if trimSpace(k) == "" {
			return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat_map", "a threat map key is empty")
		}
		if !v.Valid() {
			return tldguard.FieldErrorf(tldguard.EINVALID, "csv.threat_map", "value %q maps to unknown threat type %q", k, v)
		}
	}
	return nil
}

func (c CSVConfig) delim() rune {
	if c.Delimiter == 0 {
		return ','
	}
	return c.Delimiter
}

// ReadCSV reads an operator-defined CSV feed as cfg maps it and calls fn
// for each row whose URL or name has a host that is a name. A header
// without the configured columns, an empty file or bad rows beyond lim
// return an EUNPROCESSABLE *tldguard.Error wrapping ErrDrift; a bad cfg
// returns EINVALID.
func ReadCSV(r io.Reader, cfg CSVConfig, lim Limits, fn func(Entry) error) (Stats, error) {
	st := Stats{Format: FormatCSV}
	if err := cfg.Validate(); err != nil {
		return st, err
	}
	lim = lim.withDefaults()
	lower := func(s string) string { return strings.ToLower(trimSpace(s)) }
	lay := csvLayout{what: "CSV", delim: byte(cfg.delim()), comment: cfg.Comment, value: lower(cfg.Column)}
	for _, n := range append([]string{cfg.Column, cfg.ThreatColumn, cfg.IDColumn, cfg.AddedColumn,
		cfg.FamilyColumn, cfg.TargetColumn, cfg.RefColumn, cfg.TagsColumn}, cfg.Extra...) {
		if n = lower(n); n != "" && !hasAll(lay.required, []string{n}) {
			lay.required = append(lay.required, n)
		}
	}
	folded := make(map[string]tldguard.ThreatType, len(cfg.ThreatMap))
	for k, v := range cfg.ThreatMap {
		folded[lower(k)] = v
	}
	var col, threat, id, added, fam, target, ref, tags int
	extra := make([]int, len(cfg.Extra))
	err := readCSV(r, &lay, lim, &st,
		func(c columns) error {
			col, threat, id, added = c.at(lower(cfg.Column)), c.at(lower(cfg.ThreatColumn)), c.at(lower(cfg.IDColumn)), c.at(lower(cfg.AddedColumn))
			fam, target, ref, tags = c.at(lower(cfg.FamilyColumn)), c.at(lower(cfg.TargetColumn)), c.at(lower(cfg.RefColumn)), c.at(lower(cfg.TagsColumn))
			for i, n := range cfg.Extra {
				extra[i] = c.at(lower(n))
			}
			return nil
		},
		func(f *row, e *Entry) (rowResult, string) {
			t := cfg.Threat
			if threat >= 0 {
				v := f.get(threat)
				if m, ok := cfg.ThreatMap[v]; ok {
					t = m
				} else if m, ok := folded[strings.ToLower(v)]; ok {
					t = m
				} else if t == "" {
					return rowSkip, "unmapped threat value " + clip(v)
				}
			}
			res, reason := setHost(e, f.get(col))
			if res != rowEntry {
				return res, reason
			}
			e.Threat = t
			e.ID, e.Added, e.Family = f.get(id), f.get(added), f.get(fam)
			e.Target, e.Ref = f.get(target), f.get(ref)
			e.Tags = splitTags(f.get(tags))
			if len(extra) > 0 {
				e.Extra = make(map[string]string, len(extra))
				for i, n := range cfg.Extra {
					e.Extra[n] = f.get(extra[i])
				}
			}
			return rowEntry, ""
		}, fn)
	return st, err
}
