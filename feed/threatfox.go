package feed

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// ThreatFox's CSV export opens with comment lines, one of them the quoted
// header:
//
//	# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
//
// (newer exports add "is_compromised" after confidence_level), and writes
// rows as `"a", "b", ...` with "None" for no value. Its JSON export is an
// object keyed by IOC id whose values are arrays of IOC objects with the
// same keys.
var threatFoxLayout = csvLayout{
	what:     "ThreatFox CSV",
	delim:    ',',
	comment:  "#",
	required: []string{"ioc_value", "ioc_type", "threat_type"},
	expected: []string{"first_seen_utc", "ioc_id", "malware_printable", "confidence_level", "tags", "reference"},
}

// threatFoxRecord is the part of a ThreatFox IOC the entry needs.
type threatFoxRecord struct {
	ID, Value, Type, ThreatType string
	Family, Malware, FirstSeen  string
	Confidence, Reference       string
	Compromised                 string
	Tags                        []string
}

// ThreatFox threat types: botnet_cc is a botnet controller; payload_delivery
// (a site serving malware) and payload (the malware's own address) are
// malware. Other types are counted as skipped, by type.
func threatFoxThreat(t string) (tldguard.ThreatType, bool) {
	switch strings.ToLower(t) {
	case "botnet_cc":
		return tldguard.ThreatBotnet, true
	case "payload_delivery", "payload":
		return tldguard.ThreatMalware, true
	}
	return "", false
}

func (t *threatFoxRecord) entry(e *Entry) (rowResult, string) {
	switch typ := strings.ToLower(t.Type); typ {
	case "ip:port", "ip":
		return rowSkipIP, ""
	case "domain", "url":
	case "", "none":
		return rowBad, "empty ioc_type"
	default:
		return rowSkip, "ioc_type " + clip(typ)
	}
	threat, ok := threatFoxThreat(t.ThreatType)
	if !ok {
		if t.ThreatType == "" || t.ThreatType == "None" {
			return rowBad, "empty threat_type"
		}
		return rowSkip, "threat_type " + clip(strings.ToLower(t.ThreatType))
	}
	res, reason := setHost(e, t.Value)
	if res != rowEntry {
		return res, reason
	}
	if strings.EqualFold(t.Type, "url") && e.URL == "" {
		e.URL = t.Value
	}
	e.Threat = threat
	e.ID = none(t.ID)
	e.Added = none(t.FirstSeen)
	e.Family = none(t.Family)
	if e.Family == "" {
		e.Family = none(t.Malware)
	}
	e.Ref = none(t.Reference)
	e.Tags = t.Tags
	if c, err := strconv.Atoi(t.Confidence); err == nil && c > 0 && c <= 100 {
		e.Confidence = c
	}
	e.Compromised = strings.EqualFold(t.Compromised, "true") || t.Compromised == "1"
	return rowEntry, ""
}

// none turns abuse.ch's "None" into an empty string.
func none(s string) string {
	if s == "None" {
		return ""
	}
	return s
}

// clip bounds a feed-supplied value used as a skip reason.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ReadThreatFoxCSV reads ThreatFox's CSV export and calls fn with one entry
// per domain or URL IOC: botnet for botnet_cc, malware for payload_delivery
// and payload. ip:port IOCs are counted in Stats.SkippedIP, hashes and other
// threat types in Stats.Skipped. Drift returns an EUNPROCESSABLE
// *tldguard.Error wrapping ErrDrift.
func ReadThreatFoxCSV(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: FormatThreatFoxCSV}
	var id, val, typ, threat, fam, mal, first, conf, ref, tags, comp int
	err := readCSV(r, &threatFoxLayout, lim, &st,
		func(c columns) error {
			id, val, typ, threat = c.at("ioc_id"), c.at("ioc_value"), c.at("ioc_type"), c.at("threat_type")
			fam, mal, first, conf = c.at("malware_printable"), c.at("fk_malware"), c.at("first_seen_utc"), c.at("confidence_level")
			ref, tags, comp = c.at("reference"), c.at("tags"), c.at("is_compromised")
			return nil
		},
		func(f *row, e *Entry) (rowResult, string) {
			t := threatFoxRecord{
				ID: f.get(id), Value: f.get(val), Type: f.get(typ), ThreatType: f.get(threat),
				Family: f.get(fam), Malware: f.get(mal), FirstSeen: f.get(first),
				Confidence: f.get(conf), Reference: f.get(ref), Compromised: f.get(comp),
				Tags: splitTags(f.get(tags)),
			}
			return t.entry(e)
		}, fn)
	return st, err
}

type threatFoxJSON struct {
	ID          flexString `json:"ioc_id"`
	Value       *string    `json:"ioc_value"`
	Type        flexString `json:"ioc_type"`
	ThreatType  flexString `json:"threat_type"`
	Family      flexString `json:"malware_printable"`
	Malware     flexString `json:"malware"`
	FKMalware   flexString `json:"fk_malware"`
	FirstSeen   flexString `json:"first_seen_utc"`
	Confidence  flexString `json:"confidence_level"`
	Reference   flexString `json:"reference"`
	Tags        flexTags   `json:"tags"`
	Compromised flexString `json:"is_compromised"`
}

// ReadThreatFoxJSON reads ThreatFox's JSON export (an object keyed by IOC
// id, each value an array of IOC objects) one key at a time and calls fn
// as ReadThreatFoxCSV does. Each IOC object is one record.
func ReadThreatFoxJSON(r io.Reader, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()
	st := Stats{Format: FormatThreatFoxJSON}
	const what = "ThreatFox JSON"
	js := newJSONStream(r, &st, &lim, what)
	if err := js.open('{'); err != nil {
		return st, err
	}
	for js.more() {
		key, err := js.key()
		if err != nil {
			return st, err
		}
		raw, line, off, err := js.element()
		if err != nil {
			return st, err
		}
		var list []json.RawMessage
		if len(raw) > 0 && raw[0] == '[' {
			if err := json.Unmarshal(raw, &list); err != nil {
				st.Records++
				st.bad(&lim, line, off, "value is not an array of IOC objects")
				continue
			}
		} else {
			list = []json.RawMessage{raw}
		}
		if len(list) == 0 {
			st.Records++
			st.bad(&lim, line, off, "empty IOC array")
			continue
		}
		for _, item := range list {
			st.Records++
			var v threatFoxJSON
			if err := json.Unmarshal(item, &v); err != nil {
				st.bad(&lim, line, off, "element is not a ThreatFox IOC object")
				continue
			}
			if v.Value == nil {
				st.bad(&lim, line, off, `IOC has no "ioc_value" key`)
				continue
			}
			t := threatFoxRecord{
				ID: string(v.ID), Value: trimSpace(*v.Value), Type: string(v.Type), ThreatType: string(v.ThreatType),
				Family: string(v.Family), Malware: string(v.Malware), FirstSeen: string(v.FirstSeen),
				Confidence: string(v.Confidence), Reference: string(v.Reference), Compromised: string(v.Compromised),
				Tags: v.Tags,
			}
			if t.ID == "" {
				t.ID = key
			}
			if t.Malware == "" {
				t.Malware = string(v.FKMalware)
			}
			e := Entry{Line: line}
			switch res, reason := t.entry(&e); res {
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
	}
	if err := js.close('}'); err != nil {
		return st, err
	}
	return st, st.finish(&lim, what)
}
