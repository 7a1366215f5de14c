package stats

import "time"

// FormatVersion names the shape of the JSON report; it changes only when a
// figure's meaning changes, so snapshots stay comparable.
const FormatVersion = "tldguard-stats-v2"

// Report is the Specification 11 §3(b) statistical report for one period
// and one TLD (or every TLD). Every figure is computed from the per-domain
// records (tldguard.StatsCase) by one code path, whichever store holds
// them, and every case it counts is listed in Detail with the figures it
// counts in. The package documentation defines each figure.
//
// Unless a section says otherwise, figures count in-scope threats: cases
// whose threat type is one of the five DNS-abuse types. Out-of-scope cases
// count only in OutOfScope.
type Report struct {
	Format      string    `json:"format"`
	Period      Period    `json:"period"`
	TLD         string    `json:"tld"` // "" for every TLD
	GeneratedAt time.Time `json:"generated_at"`
	Policy      Clocks    `json:"policy"`

	Identified Identified `json:"identified"`
	OutOfScope OutOfScope `json:"out_of_scope"`
	Actions    Actions    `json:"actions"`
	Responses  Responses  `json:"responses"`
	Acks       Acks       `json:"acknowledgements"`
	Clocks     ClockStats `json:"clocks"`
	OpenAtEnd  OpenAtEnd  `json:"open_at_end"`
	// Reopened counts the reopenings of in-scope cases made in the period.
	Reopened   int64          `json:"reopened"`
	Registrars []RegistrarRow `json:"registrars"`
	AbuseRate  AbuseRate      `json:"abuse_rate"`
	TLDs       []TLDRow       `json:"tlds"`
	ZoneCheck  ZoneCheck      `json:"zone_check"`
	// Weekly counts the threats identified per week (weeks start on Monday,
	// UTC; the first and last may be cut by the period).
	Weekly []Week `json:"weekly"`
	// RespondTimes is the distribution of the period's first responses by
	// time to respond.
	RespondTimes []Bucket `json:"respond_times"`
	Notes        []string `json:"notes"`
	// Detail lists every case the report counts, when asked for.
	Detail []Detail `json:"detail,omitempty"`
}

// Clocks are the policy's clocks the report measures against.
type Clocks struct {
	// AcknowledgeSeconds is the acknowledgement clock: the Framework's "at
	// once" (0), which the receipt given with the case number meets.
	AcknowledgeSeconds      float64 `json:"acknowledge_seconds"`
	HighResponseSeconds     float64 `json:"high_response_seconds"`
	StandardResponseSeconds float64 `json:"standard_response_seconds"`
}

// Identified counts the threats identified in the period: the in-scope
// cases opened in it. A case counts once, in the period it was opened,
// however long it stays open and however often it is reopened.
type Identified struct {
	Total int64 `json:"total"`
	// UniqueNames counts the distinct names among them (a name with a
	// phishing and a malware case counts once).
	UniqueNames int64 `json:"unique_names"`
	// Registered and Unregistered split Total by whether the name was
	// registered (unregistered: botnet names, look-alikes).
	Registered   int64 `json:"registered"`
	Unregistered int64 `json:"unregistered"`
	// ByType counts them by threat type, every type present.
	ByType map[string]int64 `json:"by_type"`
	// BySource counts them by the source that identified the threat: feed
	// when a zone-check finding saw it no later than the case was opened
	// (the zone check opened it), else the tier of the first report filed
	// on it; "unknown" for a case with neither.
	BySource map[string]int64 `json:"by_source"`
}

// OutOfScope counts the out-of-scope cases: reports outside DNS abuse,
// kept and answered, never dropped.
type OutOfScope struct {
	Received  int64 `json:"received"`    // opened in the period
	Answered  int64 `json:"answered"`    // closures made in the period
	OpenAtEnd int64 `json:"open_at_end"` // not closed at the period's end
	// ByCategory counts Received by the reporter's own word for the
	// threat (the first report's category), most first.
	ByCategory []Reason `json:"by_category"`
}

// Reason is a count with what it is for.
type Reason struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// Actions counts the actions taken on in-scope cases in the period, each
// in the period it was taken: the actions the registry carried out (from
// the actions records), the closures with a stated reason made without a
// no_action action (counted as no_action), and the mitigations registrars
// reported in answer to a referral.
type Actions struct {
	// Total is ByActor's sum: the registry's actions (ByType's sum) and
	// the registrars' mitigations after a referral.
	Total int64 `json:"total"`
	// ByType counts the registry's actions by kind, every Framework action
	// in order.
	ByType []ActionCount `json:"by_type"`
	// ByActor counts Total by who acted: the registry (its actions at the
	// registry, requests for information, referrals and no_action), or a
	// registrar after a referral (an answer "mitigated", counted when given).
	ByActor map[string]int64 `json:"by_actor"`
	// NoActionReasons counts the no_action actions and closures by their
	// reason (compared without case and extra spaces), most first.
	NoActionReasons []Reason `json:"no_action_reasons"`
	// Undone counts the actions undone in the period: the releases carried
	// out in it (each undoes one earlier action, whatever its period).
	Undone int64 `json:"undone"`
	// Referrals sums the registrars' rows' referral figures.
	Referrals Referrals `json:"referrals"`
	Note      string    `json:"note"`
}

// Referrals describes the referrals to registrars: sent in the period,
// answers given in it (in time when at or before the answer's due time,
// mitigated or declined), and referrals sent before the period's end and
// not answered by then.
type Referrals struct {
	Sent            int64 `json:"sent"`
	AnsweredInTime  int64 `json:"answered_in_time"`
	AnsweredLate    int64 `json:"answered_late"`
	UnansweredAtEnd int64 `json:"unanswered_at_end"`
	Mitigated       int64 `json:"mitigated"`
	Declined        int64 `json:"declined"`
}

// ActionCount is the count of one action kind.
type ActionCount struct {
	Kind  string `json:"kind"`
	Count int64  `json:"count"`
}

// Responses describes the first responses given in the period: a case
// counts once, in the period its response clock stopped (its first
// closure today), measured from the case's opening.
type Responses struct {
	Count       int64 `json:"count"`
	WithinClock int64 `json:"within_clock"` // given at or before the deadline as it then stood
	Late        int64 `json:"late"`         // given after it
	// TimeToRespond summarises response time minus opening time.
	TimeToRespond Distribution `json:"time_to_respond"`
	// ByPriority splits them by the priority at the time of the response.
	ByPriority []PriorityResponses `json:"by_priority"`
}

// PriorityResponses is Responses for one priority, with its clock.
type PriorityResponses struct {
	Priority      string       `json:"priority"`
	ClockSeconds  float64      `json:"clock_seconds"`
	Count         int64        `json:"count"`
	WithinClock   int64        `json:"within_clock"`
	Late          int64        `json:"late"`
	TimeToRespond Distribution `json:"time_to_respond"`
}

// Distribution is the median and 90th percentile of durations, by the
// nearest-rank method: the p-th percentile of n sorted values is the value
// at rank ceil(p/100 × n) (so the median of an even count is the lower
// middle one). Both are null when there are no values.
type Distribution struct {
	Count         int64    `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// Acks describes the acknowledgements of the threats identified in the
// period: acknowledgement time minus opening time.
type Acks struct {
	Count int64 `json:"count"` // acknowledged before the period's end
	// NotAcknowledged counts the cases with no acknowledgement by the
	// period's end (a zone-check case has no reporter to acknowledge).
	NotAcknowledged   int64        `json:"not_acknowledged"`
	Late              int64        `json:"late"` // acknowledged after the acknowledgement clock
	TimeToAcknowledge Distribution `json:"time_to_acknowledge"`
}

// ClockStats counts the response clocks that ran out.
type ClockStats struct {
	// Missed counts the cases whose response deadline ran out in the
	// period: the first instant at which the case had no response and its
	// deadline, as it then stood, had passed falls in the period. A case
	// misses at most once; a later priority change does not undo it.
	Missed int64 `json:"missed"`
	// OverdueAtEnd counts the cases open at the period's end, without a
	// response, past their deadline (the same case can count in several
	// periods, as it does in OpenAtEnd).
	OverdueAtEnd int64 `json:"overdue_at_end"`
	// RespondedLate is Responses.Late.
	RespondedLate int64 `json:"responded_late"`
}

// OpenAtEnd counts the in-scope cases not closed at the period's end, by
// their status, type and priority then.
type OpenAtEnd struct {
	Total      int64            `json:"total"`
	ByStatus   map[string]int64 `json:"by_status"`
	ByType     map[string]int64 `json:"by_type"`
	ByPriority map[string]int64 `json:"by_priority"`
	Overdue    int64            `json:"overdue"`
}

// RegistrarRow is one sponsoring registrar's share of the period. ID ""
// gathers the names that were not registered.
type RegistrarRow struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Identified   int64  `json:"identified"`
	Responded    int64  `json:"responded"`
	Actions      int64  `json:"actions"`
	OpenAtEnd    int64  `json:"open_at_end"`
	OverdueAtEnd int64  `json:"overdue_at_end"`
	// The referrals to the registrar (see Referrals): sent in the period,
	// answered in it within the answer's due time or after it, sent and
	// not answered by the period's end, and the answers given in the
	// period as mitigated or declined (no_action).
	Referrals                int64 `json:"referrals"`
	ReferralsAnsweredInTime  int64 `json:"referrals_answered_in_time"`
	ReferralsAnsweredLate    int64 `json:"referrals_answered_late"`
	ReferralsUnansweredAtEnd int64 `json:"referrals_unanswered_at_end"`
	Mitigated                int64 `json:"mitigated"`
	Declined                 int64 `json:"declined"`
}

// AbuseRate is the abuse per 10,000 registered names, for comparison with
// ICANN's published abuse statistics: the distinct registered names among
// the threats identified in the period, per 10,000 names the embedded
// registry holds in the report's TLDs when the report is computed.
type AbuseRate struct {
	Registrations         int64    `json:"registrations"`
	UniqueRegisteredNames int64    `json:"unique_registered_names"`
	Per10000              *float64 `json:"per_10000"` // null without registrations
}

// TLDRow is one TLD's identified threats and abuse rate.
type TLDRow struct {
	TLD                   string   `json:"tld"`
	Registrations         int64    `json:"registrations"`
	Identified            int64    `json:"identified"`
	UniqueNames           int64    `json:"unique_names"`
	UniqueRegisteredNames int64    `json:"unique_registered_names"`
	Per10000              *float64 `json:"per_10000"`
}

// ZoneCheck describes the periodic security checks run in the period (the
// zone check's runs started in it and finished when the report was
// computed). The threats they identified are Identified.BySource["feed"].
type ZoneCheck struct {
	Runs   int64 `json:"runs"`
	Failed int64 `json:"failed"`
	// NamesChecked is the names the period's last successful run checked
	// in the report's TLDs.
	NamesChecked int64 `json:"names_checked"`
	// NewFindings and NewCases sum the runs' first sightings and the cases
	// they opened; the runs record them for all zones together, so a
	// report for one TLD leaves them null.
	NewFindings *int64 `json:"new_findings"`
	NewCases    *int64 `json:"new_cases"`
}

// Week is the threats identified in one week, by type.
type Week struct {
	Start  string           `json:"start"` // the Monday, 2026-09-28
	Total  int64            `json:"total"`
	ByType map[string]int64 `json:"by_type"`
}

// Bucket is one bar of the time-to-respond distribution: responses taking
// at least the previous bucket's bound and less than UpToSeconds (null for
// the last, open bucket).
type Bucket struct {
	Label       string   `json:"label"`
	UpToSeconds *float64 `json:"up_to_seconds"`
	Count       int64    `json:"count"`
}

// Detail is one case behind the report's numbers: what it is, what was
// done when, and which figures it counts in.
type Detail struct {
	Case          string     `json:"case"` // TG-0000042
	Domain        string     `json:"domain"`
	TLD           string     `json:"tld"`
	ThreatType    string     `json:"threat_type"`
	Category      string     `json:"category,omitempty"`
	Source        string     `json:"source"`
	Feed          string     `json:"feed,omitempty"`
	Registered    bool       `json:"registered"`
	RegistrarID   string     `json:"registrar_id"`
	RegistrarName string     `json:"registrar_name"`
	FirstSeen     time.Time  `json:"first_seen"`
	OpenedAt      time.Time  `json:"opened_at"`
	AckedAt       *time.Time `json:"acked_at"`
	// ResponseDueAt is the deadline at the response, or at the period's
	// end when there was none by then.
	ResponseDueAt *time.Time `json:"response_due_at"`
	RespondedAt   *time.Time `json:"responded_at"`
	Priority      string     `json:"priority"` // at the response, or at the period's end
	// Responses lists, oldest first, the case's closures with a reason up
	// to the period's end (no_action with the reason given; a closure made
	// by a no_action action shows once, as the action) and the actions the
	// period's figures count: those carried out in it, the referrals and
	// the registrar's answer given before its end.
	Responses   []Response  `json:"responses"`
	Reopened    []time.Time `json:"reopened"`
	StatusAtEnd string      `json:"status_at_end"`
	Outcome     string      `json:"outcome"`
	// Counts names the report's figures this case counts in.
	Counts []string `json:"counts"`
}

// Response is one action taken on a case.
type Response struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// Figure names used in Detail.Counts.
const (
	CountIdentified   = "identified"
	CountOutOfScope   = "out_of_scope"
	CountAcknowledged = "acknowledged"
	CountResponded    = "responded"
	CountLate         = "responded_late"
	CountAction       = "action"
	CountReferral     = "referral"
	CountUndone       = "undone"
	CountReopened     = "reopened"
	CountMissed       = "clock_missed"
	CountOpenAtEnd    = "open_at_end"
	CountOverdue      = "overdue_at_end"
)
