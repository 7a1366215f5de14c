package stats

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

// actionKinds are the Framework's actions in the order of DESIGN.md's
// table.
var actionKinds = []string{"request_info", "refer_registrar", "hold", "lock", "redirect", "transfer", "delete",
	"block", "no_action", "release"}

const (
	actionNoAction = "no_action"
	actorRegistry  = "registry"
	actorRegistrar = "registrar_after_referral"
)

// actionsNote says where the action counts come from.
const actionsNote = "Actions are counted in the period they were carried out, from the actions records; a case " +
	"closed with a stated reason without a no_action action counts as no_action with that reason. A registrar's " +
	"answer \"mitigated\" to a referral counts as an action by the registrar when it was given; a release counts " +
	"as a release and as undone. Actions on out-of-scope cases count only as out-of-scope answers."

// respondBuckets are the upper bounds of the time-to-respond chart's bars.
var respondBuckets = []struct {
	label string
	upTo  time.Duration
}{
	{"< 1 h", time.Hour},
	{"1–4 h", 4 * time.Hour},
	{"4–12 h", 12 * time.Hour},
	{"12–24 h", 24 * time.Hour},
	{"24–48 h", 48 * time.Hour},
	{"48–72 h", 72 * time.Hour},
	{"72 h–7 d", 7 * 24 * time.Hour},
	{"≥ 7 d", 0},
}

// builder aggregates the records of one period into a Report. Records come
// in case id order, so every "first seen" choice is the same on every
// engine and every run.
type builder struct {
	p      Period
	tld    string
	clocks Clocks
	detail bool
	rep    *Report

	// identified holds one entry per threat identified; the distinct names
	// are counted by sorting it once at the end (cheaper than sets).
	identified []identifiedName
	tlds       map[string]*tldAgg
	respond    []time.Duration
	byPrio     map[tldguard.Priority][]time.Duration
	byPrioLate map[tldguard.Priority]int64
	acks       []time.Duration
	categories *reasons
	noAction   *reasons
	registrars map[string]*RegistrarRow
	weeks      map[int64]*Week // by the Monday's Unix time
	scratch    facts           // each record is evaluated into it

	// The period's action records (read before the cases) by case; the
	// no_action actions by case and time, whose closures they made; the
	// cases the case records covered; the registry's actions by kind.
	actions   map[int64][]tldguard.StatsAction
	noActions map[caseAt]bool
	seen      map[int64]bool
	byKind    map[string]int64
	detailIDs []int64 // the case id of each Detail entry
}

type caseAt struct {
	caseID int64
	at     int64 // unix microseconds
}

type tldAgg struct {
	identified, names, registered int64
}

type identifiedName struct {
	domain, tld string
	registered  bool
}

func newBuilder(p Period, tld string, clocks Clocks, detail bool) *builder {
	r := &Report{
		Format: FormatVersion, Period: p, TLD: tld, Policy: clocks,
		Identified: Identified{ByType: typeMap(), BySource: sourceMap()},
		Actions:    Actions{ByActor: map[string]int64{actorRegistry: 0, actorRegistrar: 0}, Note: actionsNote},
		OpenAtEnd: OpenAtEnd{
			ByStatus:   map[string]int64{string(tldguard.StatusOpen): 0, string(tldguard.StatusInProgress): 0},
			ByType:     typeMap(),
			ByPriority: map[string]int64{string(tldguard.PriorityHigh): 0, string(tldguard.PriorityStandard): 0},
		},
	}
	if detail {
		r.Detail = []Detail{}
	}
	return &builder{
		p: p, tld: tld, clocks: clocks, detail: detail, rep: r,
		tlds:   map[string]*tldAgg{},
		byPrio: map[tldguard.Priority][]time.Duration{}, byPrioLate: map[tldguard.Priority]int64{},
		categories: newReasons("(unspecified)"), noAction: newReasons("(no reason given)"),
		registrars: map[string]*RegistrarRow{}, weeks: map[int64]*Week{},
		actions: map[int64][]tldguard.StatsAction{}, noActions: map[caseAt]bool{}, seen: map[int64]bool{},
		byKind: map[string]int64{},
	}
}

// addAction keeps one action record; the builder counts it with its case
// (or at the end, for a case the case records do not cover). All action
// records come before the case records.
func (b *builder) addAction(a *tldguard.StatsAction) {
	b.actions[a.CaseID] = append(b.actions[a.CaseID], *a)
	if a.Kind == tldguard.ActionNoAction {
		b.noActions[caseAt{a.CaseID, a.DoneAt.UnixMicro()}] = true
	}
}

// byAction reports whether the closure of case caseID at at was made by a
// no_action action (which counts instead of the closure).
func (b *builder) byAction(caseID int64, at time.Time) bool {
	return b.noActions[caseAt{caseID, at.UnixMicro()}]
}

// countActions counts the action records of one in-scope case and returns
// what the case's detail shows of them.
func (b *builder) countActions(as []tldguard.StatsAction, count func(string)) []Response {
	rep := &b.rep.Actions
	var out []Response
	acted, referred, undone := false, false, false
	for i := range as {
		a := &as[i]
		reg := b.registrarRow(a.Registered, a.RegistrarID, a.RegistrarName)
		referral := a.Kind == tldguard.ActionReferRegistrar
		sent := Response{At: a.DoneAt, Action: string(a.Kind), Reason: a.Reason, By: actorRegistry}
		if b.p.Contains(a.DoneAt) {
			acted = true
			rep.Total++
			rep.ByActor[actorRegistry]++
			b.byKind[string(a.Kind)]++
			reg.Actions++
			out = append(out, sent)
			switch a.Kind {
			case tldguard.ActionNoAction:
				b.noAction.add(a.Reason)
			case tldguard.ActionRelease:
				undone = true
				rep.Undone++
			case tldguard.ActionReferRegistrar:
				referred = true
				rep.Referrals.Sent++
				reg.Referrals++
			}
		}
		if !referral {
			continue
		}
		if !b.p.Contains(a.DoneAt) && (a.AnswerOutcome == "" || b.p.Contains(a.AnswerAt)) {
			out = append(out, sent) // sent before the period; counts in it
		}
		if a.AnswerOutcome == "" {
			// Sent before the period's end (else it would not be here),
			// not answered by then.
			referred = true
			rep.Referrals.UnansweredAtEnd++
			reg.ReferralsUnansweredAtEnd++
			continue
		}
		if !b.p.Contains(a.AnswerAt) {
			continue
		}
		referred = true
		inTime := !a.AnswerAt.After(a.DueAt)
		when := "answered late"
		if inTime {
			when = "answered in time"
			rep.Referrals.AnsweredInTime++
			reg.ReferralsAnsweredInTime++
		} else {
			rep.Referrals.AnsweredLate++
			reg.ReferralsAnsweredLate++
		}
		switch a.AnswerOutcome {
		case answerMitigated:
			acted = true
			rep.Referrals.Mitigated++
			reg.Mitigated++
			rep.Total++
			rep.ByActor[actorRegistrar]++
			reg.Actions++
		default:
			rep.Referrals.Declined++
			reg.Declined++
		}
		out = append(out, Response{At: a.AnswerAt, Action: "registrar_" + a.AnswerOutcome, Reason: when, By: actorRegistrar})
	}
	if acted {
		count(CountAction)
	}
	if referred {
		count(CountReferral)
	}
	if undone {
		count(CountUndone)
	}
	return out
}

// answerMitigated is a registrar's answer that it acted.
const answerMitigated = "mitigated"

// typeMap has every in-scope threat type at zero.
func typeMap() map[string]int64 {
	m := map[string]int64{}
	for _, t := range tldguard.ThreatTypes {
		if t != tldguard.ThreatOutOfScope {
			m[string(t)] = 0
		}
	}
	return m
}

// sourceMap has every source tier, and "unknown", at zero.
func sourceMap() map[string]int64 {
	m := map[string]int64{sourceUnknown: 0}
	for _, s := range tldguard.Sources {
		m[string(s)] = 0
	}
	return m
}

// add counts one record.
func (b *builder) add(r *tldguard.StatsCase) {
	f := &b.scratch
	f.evaluate(r, b.p)
	acts := b.actions[r.CaseID]
	b.seen[r.CaseID] = true
	if !f.countsIn(b.p) && (len(acts) == 0 || !f.inScope) {
		return
	}
	var counts []string
	count := func(name string) {
		if b.detail {
			counts = append(counts, name)
		}
	}
	rep := b.rep
	var responses []Response
	if !f.inScope {
		b.addOutOfScope(f, count)
	} else {
		reg := b.registrar(r)
		if f.identified {
			count(CountIdentified)
			rep.Identified.Total++
			rep.Identified.ByType[string(r.ThreatType)]++
			rep.Identified.BySource[f.source]++
			if r.Registered {
				rep.Identified.Registered++
			} else {
				rep.Identified.Unregistered++
			}
			b.identified = append(b.identified, identifiedName{r.Domain, r.TLD, r.Registered})
			b.aggOf(r.TLD).identified++
			reg.Identified++
			b.week(r)
			if f.acked {
				count(CountAcknowledged)
				rep.Acks.Count++
				b.acks = append(b.acks, f.ackDelay)
				if f.ackDelay > time.Duration(b.clocks.AcknowledgeSeconds*float64(time.Second)) {
					rep.Acks.Late++
				}
			} else {
				rep.Acks.NotAcknowledged++
			}
		}
		if f.respondedHere {
			count(CountResponded)
			d := f.respondedAt.Sub(r.OpenedAt)
			rep.Responses.Count++
			b.respond = append(b.respond, d)
			b.byPrio[f.responsePrio] = append(b.byPrio[f.responsePrio], d)
			if f.late {
				count(CountLate)
				rep.Responses.Late++
				b.byPrioLate[f.responsePrio]++
			} else {
				rep.Responses.WithinClock++
			}
			reg.Responded++
		}
		closed := false
		for _, c := range f.closures {
			if b.p.Contains(c.at) && !b.byAction(r.CaseID, c.at) {
				closed = true
				rep.Actions.Total++
				rep.Actions.ByActor[actorRegistry]++
				b.byKind[actionNoAction]++
				b.noAction.add(c.reason)
				reg.Actions++
			}
		}
		var sub []string
		responses = b.countActions(acts, func(name string) { sub = append(sub, name) })
		if closed && !slices.Contains(sub, CountAction) {
			count(CountAction)
		}
		for _, name := range sub {
			count(name)
		}
		for _, at := range f.reopens {
			if b.p.Contains(at) {
				rep.Reopened++
			}
		}
		if slices.ContainsFunc(f.reopens, b.p.Contains) {
			count(CountReopened)
		}
		if f.missedHere(b.p) {
			count(CountMissed)
			rep.Clocks.Missed++
		}
		if f.openAtEnd {
			count(CountOpenAtEnd)
			rep.OpenAtEnd.Total++
			rep.OpenAtEnd.ByStatus[string(f.end.Status)]++
			rep.OpenAtEnd.ByType[string(r.ThreatType)]++
			rep.OpenAtEnd.ByPriority[string(f.end.Priority)]++
			reg.OpenAtEnd++
			if f.overdueAtEnd {
				count(CountOverdue)
				rep.OpenAtEnd.Overdue++
				rep.Clocks.OverdueAtEnd++
				reg.OverdueAtEnd++
			}
		}
	}
	if b.detail {
		rep.Detail = append(rep.Detail, b.detailOf(f, counts, responses))
		b.detailIDs = append(b.detailIDs, r.CaseID)
	}
}

// addUncovered counts the actions of the in-scope cases the case records
// did not cover (closed for good before the period, with a release or a
// referral's answer in it), each with a short detail line.
func (b *builder) addUncovered() {
	var ids []int64
	for id := range b.actions {
		if !b.seen[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		as := b.actions[id]
		a := as[0]
		if a.ThreatType == tldguard.ThreatOutOfScope {
			continue
		}
		var counts []string
		responses := b.countActions(as, func(name string) { counts = append(counts, name) })
		if !b.detail || len(counts) == 0 {
			continue
		}
		slices.SortStableFunc(responses, func(x, y Response) int { return x.At.Compare(y.At) })
		b.rep.Detail = append(b.rep.Detail, Detail{
			Case: tldguard.CaseNumber(id), Domain: a.Domain, TLD: a.TLD, ThreatType: string(a.ThreatType),
			Source: sourceUnknown, Registered: a.Registered, RegistrarID: a.RegistrarID, RegistrarName: a.RegistrarName,
			Responses: responses, Reopened: []time.Time{}, StatusAtEnd: string(tldguard.StatusClosed),
			Outcome: "closed before the period", Counts: counts,
		})
		b.detailIDs = append(b.detailIDs, id)
	}
	if !slices.IsSorted(b.detailIDs) {
		idx := make([]int, len(b.detailIDs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(b.detailIDs[x], b.detailIDs[y]) })
		sorted := make([]Detail, len(idx))
		for i, j := range idx {
			sorted[i] = b.rep.Detail[j]
		}
		b.rep.Detail = sorted
	}
}

// addOutOfScope counts an out-of-scope case.
func (b *builder) addOutOfScope(f *facts, count func(string)) {
	o := &b.rep.OutOfScope
	count(CountOutOfScope)
	if f.identified {
		o.Received++
		b.categories.add(f.rec.Category)
	}
	for _, c := range f.closures {
		if b.p.Contains(c.at) {
			o.Answered++
		}
	}
	if f.openAtEnd {
		o.OpenAtEnd++
	}
}

// aggOf returns the aggregate of one TLD.
func (b *builder) aggOf(name string) *tldAgg {
	t := b.tlds[name]
	if t == nil {
		t = &tldAgg{}
		b.tlds[name] = t
	}
	return t
}

// countNames counts the distinct names among the threats identified, in
// all and per TLD (a name belongs to one TLD), and the distinct names with
// a threat identified while registered.
func (b *builder) countNames() (names, registered int64) {
	ids := b.identified
	slices.SortFunc(ids, func(x, y identifiedName) int { return strings.Compare(x.domain, y.domain) })
	for i := 0; i < len(ids); {
		j, reg := i, false
		for ; j < len(ids) && ids[j].domain == ids[i].domain; j++ {
			reg = reg || ids[j].registered
		}
		t := b.aggOf(ids[i].tld)
		names++
		t.names++
		if reg {
			registered++
			t.registered++
		}
		i = j
	}
	return names, registered
}

// registrar returns the row of the case's registrar; unregistered names
// share the row with id "".
func (b *builder) registrar(r *tldguard.StatsCase) *RegistrarRow {
	return b.registrarRow(r.Registered, r.RegistrarID, r.RegistrarName)
}

// registrarRow returns the row of a registrar, "" for names not registered.
func (b *builder) registrarRow(registered bool, id, name string) *RegistrarRow {
	if !registered {
		id, name = "", "(not registered)"
	}
	row := b.registrars[id]
	if row == nil {
		row = &RegistrarRow{ID: id, Name: name}
		b.registrars[id] = row
	}
	return row
}

// week counts an identified threat in the week (from Monday, UTC) it was
// opened.
func (b *builder) week(r *tldguard.StatsCase) {
	start := weekStart(r.OpenedAt)
	w := b.weeks[start.Unix()]
	if w == nil {
		w = &Week{Start: start.Format(time.DateOnly), ByType: typeMap()}
		b.weeks[start.Unix()] = w
	}
	w.Total++
	w.ByType[string(r.ThreatType)]++
}

func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return d.AddDate(0, 0, -back)
}

// finish computes what needs every record (distributions, unique names,
// rates) and returns the report. registrations holds the embedded
// registry's count per TLD; runs the zone-check runs started in the period.
func (b *builder) finish(registrations map[string]int64, runs []*tldguard.ScanRun) *Report {
	rep := b.rep
	b.addUncovered()
	uniqueNames, uniqueRegistered := b.countNames()
	rep.Identified.UniqueNames = uniqueNames
	rep.Responses.TimeToRespond = distribution(b.respond)
	for _, pr := range []tldguard.Priority{tldguard.PriorityHigh, tldguard.PriorityStandard} {
		ds := b.byPrio[pr]
		clock := b.clocks.StandardResponseSeconds
		if pr == tldguard.PriorityHigh {
			clock = b.clocks.HighResponseSeconds
		}
		late := b.byPrioLate[pr]
		rep.Responses.ByPriority = append(rep.Responses.ByPriority, PriorityResponses{
			Priority: string(pr), ClockSeconds: clock, Count: int64(len(ds)), WithinClock: int64(len(ds)) - late,
			Late: late, TimeToRespond: distribution(ds),
		})
	}
	rep.Clocks.RespondedLate = rep.Responses.Late
	rep.Acks.TimeToAcknowledge = distribution(b.acks)
	rep.OutOfScope.ByCategory = b.categories.sorted()
	rep.Actions.NoActionReasons = b.noAction.sorted()
	for _, k := range actionKinds {
		rep.Actions.ByType = append(rep.Actions.ByType, ActionCount{Kind: k, Count: b.byKind[k]})
	}

	rep.Registrars = []RegistrarRow{}
	for _, row := range b.registrars {
		if row.Identified+row.Responded+row.Actions+row.OpenAtEnd+row.Referrals+row.ReferralsAnsweredInTime+
			row.ReferralsAnsweredLate+row.ReferralsUnansweredAtEnd+row.Declined > 0 {
			rep.Registrars = append(rep.Registrars, *row)
		}
	}
	slices.SortFunc(rep.Registrars, func(x, y RegistrarRow) int {
		if c := cmp.Compare(y.Identified, x.Identified); c != 0 {
			return c
		}
		if (x.ID == "") != (y.ID == "") { // the unregistered names last
			if x.ID == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(x.ID, y.ID)
	})

	// The TLDs: the report's one, or every TLD with registrations or threats.
	var tlds []string
	if b.tld != "" {
		tlds = []string{b.tld}
	} else {
		seen := map[string]bool{}
		for t := range registrations {
			seen[t] = true
		}
		for t := range b.tlds {
			seen[t] = true
		}
		for t := range seen {
			tlds = append(tlds, t)
		}
		slices.Sort(tlds)
	}
	rep.TLDs = []TLDRow{}
	var total int64
	for _, t := range tlds {
		row := TLDRow{TLD: t, Registrations: registrations[t]}
		if a := b.tlds[t]; a != nil {
			row.Identified, row.UniqueNames, row.UniqueRegisteredNames = a.identified, a.names, a.registered
		}
		row.Per10000 = per10000(row.UniqueRegisteredNames, row.Registrations)
		total += row.Registrations
		rep.TLDs = append(rep.TLDs, row)
	}
	rep.AbuseRate = AbuseRate{Registrations: total, UniqueRegisteredNames: uniqueRegistered}
	rep.AbuseRate.Per10000 = per10000(rep.AbuseRate.UniqueRegisteredNames, total)

	rep.ZoneCheck = b.zoneCheck(runs)

	rep.Weekly = []Week{}
	for w := weekStart(b.p.From); w.Before(b.p.To); w = w.AddDate(0, 0, 7) {
		if wk := b.weeks[w.Unix()]; wk != nil {
			rep.Weekly = append(rep.Weekly, *wk)
		} else {
			rep.Weekly = append(rep.Weekly, Week{Start: w.Format(time.DateOnly), ByType: typeMap()})
		}
	}

	rep.RespondTimes = make([]Bucket, len(respondBuckets))
	for i, bk := range respondBuckets {
		rep.RespondTimes[i].Label = bk.label
		if bk.upTo > 0 {
			rep.RespondTimes[i].UpToSeconds = ptr(bk.upTo.Seconds())
		}
	}
	for _, d := range b.respond {
		i := slices.IndexFunc(respondBuckets, func(bk struct {
			label string
			upTo  time.Duration
		}) bool {
			return bk.upTo == 0 || d < bk.upTo
		})
		rep.RespondTimes[i].Count++
	}

	rep.Notes = []string{}
	if rep.AbuseRate.Per10000 == nil {
		rep.Notes = append(rep.Notes, "No registrations are held for the report's TLDs, so no abuse rate is given.")
	}
	if b.tld != "" {
		rep.Notes = append(rep.Notes, "The zone check records new findings and new cases for all zones together; for one TLD see identified.by_source.feed.")
	}
	return rep
}

// zoneCheck summarises the finished runs started in the period.
func (b *builder) zoneCheck(runs []*tldguard.ScanRun) ZoneCheck {
	z := ZoneCheck{}
	var newFindings, newCases int64
	var last *tldguard.ScanRun
	for _, r := range runs {
		if r.Status == tldguard.ScanRunning || !b.p.Contains(r.StartedAt) {
			continue
		}
		z.Runs++
		if r.Status == tldguard.ScanFailed {
			z.Failed++
			continue
		}
		newFindings += r.NewFindings
		newCases += r.NewCases
		if last == nil || r.StartedAt.After(last.StartedAt) || r.StartedAt.Equal(last.StartedAt) && r.ID > last.ID {
			last = r
		}
	}
	if last != nil {
		for _, zs := range last.Zones {
			if b.tld == "" || strings.EqualFold(strings.TrimSuffix(zs.Apex, "."), b.tld) {
				z.NamesChecked += zs.Names
			}
		}
	}
	if b.tld == "" {
		z.NewFindings, z.NewCases = &newFindings, &newCases
	}
	return z
}

// distribution is the median and 90th percentile of ds by nearest rank.
func distribution(ds []time.Duration) Distribution {
	d := Distribution{Count: int64(len(ds))}
	if len(ds) == 0 {
		return d
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	d.MedianSeconds = ptr(nearestRank(s, 50).Seconds())
	d.P90Seconds = ptr(nearestRank(s, 90).Seconds())
	return d
}

// nearestRank returns the p-th percentile of sorted: the value at rank
// ceil(p/100 × n), 1-based.
func nearestRank(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func per10000(n, registrations int64) *float64 {
	if registrations <= 0 {
		return nil
	}
	v := float64(n) * 10000 / float64(registrations)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func ptr[T any](v T) *T { return &v }

// reasons counts free-text reasons, compared without case and extra
// spaces; each is shown as it was first written.
type reasons struct {
	empty string
	byKey map[string]*Reason
}

func newReasons(empty string) *reasons { return &reasons{empty: empty, byKey: map[string]*Reason{}} }

func (rs *reasons) add(text string) {
	shown := strings.Join(strings.Fields(text), " ")
	if shown == "" {
		shown = rs.empty
	}
	key := strings.ToLower(shown)
	r := rs.byKey[key]
	if r == nil {
		r = &Reason{Reason: shown}
		rs.byKey[key] = r
	}
	r.Count++
}

// sorted returns the reasons most first, then alphabetically.
func (rs *reasons) sorted() []Reason {
	out := []Reason{}
	for _, r := range rs.byKey {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y Reason) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(strings.ToLower(x.Reason), strings.ToLower(y.Reason))
	})
	return out
}

// detailOf is the case's line in the per-domain detail.
func (b *builder) detailOf(f *facts, counts []string, actions []Response) Detail {
	r := f.rec
	d := Detail{
		Case: tldguard.CaseNumber(r.CaseID), Domain: r.Domain, TLD: r.TLD, ThreatType: string(r.ThreatType),
		Source: f.source, Registered: r.Registered, RegistrarID: r.RegistrarID, RegistrarName: r.RegistrarName,
		FirstSeen: f.first, OpenedAt: r.OpenedAt, StatusAtEnd: string(f.end.Status),
		Responses: []Response{}, Reopened: []time.Time{}, Counts: counts,
	}
	if d.Counts == nil {
		d.Counts = []string{}
	}
	if r.ThreatType == tldguard.ThreatOutOfScope {
		d.Category = r.Category
	}
	if f.source == string(tldguard.SourceFeed) {
		d.Feed = r.FindingFeed
	}
	if f.acked {
		d.AckedAt = ptr(f.end.AckedAt)
	}
	if f.hasResponse {
		d.RespondedAt = ptr(f.respondedAt)
		d.Priority = string(f.responsePrio)
		if !f.responseDue.IsZero() {
			d.ResponseDueAt = ptr(f.responseDue)
		}
	} else {
		d.Priority = string(f.end.Priority)
		if !f.end.ResponseDueAt.IsZero() {
			d.ResponseDueAt = ptr(f.end.ResponseDueAt)
		}
	}
	for _, c := range f.closures {
		if !f.inScope || !b.byAction(r.CaseID, c.at) {
			d.Responses = append(d.Responses, Response{At: c.at, Action: actionNoAction, Reason: c.reason, By: actorRegistry})
		}
	}
	if len(actions) > 0 {
		d.Responses = append(d.Responses, actions...)
		slices.SortStableFunc(d.Responses, func(x, y Response) int { return x.At.Compare(y.At) })
	}
	d.Reopened = append(d.Reopened, f.reopens...)
	if f.openAtEnd {
		d.Outcome = string(f.end.Status)
	} else {
		d.Outcome = actionNoAction + ": " + strings.Join(strings.Fields(f.end.Resolution), " ")
	}
	return d
}
