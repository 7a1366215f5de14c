package tldguard

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CaseStatus is where a case stands.
type CaseStatus string

const (
	StatusOpen       CaseStatus = "open"        // received, not yet worked
	StatusInProgress CaseStatus = "in_progress" // an analyst is on it
	StatusClosed     CaseStatus = "closed"      // answered: action taken, or no action with a reason
)

// CaseStatuses lists the statuses in workflow order.
var CaseStatuses = []CaseStatus{StatusOpen, StatusInProgress, StatusClosed}

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool {
	for _, k := range CaseStatuses {
		if s == k {
			return true
		}
	}
	return false
}

// Case is the one open piece of work per (registered name, threat type).
// Later reports on the same name and threat attach to it.
type Case struct {
	ID             int64
	Domain         string // the registered name (A-labels)
	TLD            string
	ThreatType     ThreatType
	Status         CaseStatus
	Priority       Priority
	PriorityReason string
	Classification Classification
	// Registered is false for a name in the operator's TLD that nobody holds
	// (a botnet's generated names, look-alikes reported before registration).
	Registered    bool
	RegistrarID   string // IANA id of the sponsoring registrar
	RegistrarName string
	Assignee      string // staff e-mail, "" when unassigned
	// Confidential is set when an authority's request limits notification.
	Confidential  bool
	Resolution    string // why the case was closed
	ReportCount   int
	OpenedAt      time.Time
	AckedAt       time.Time // when the first report was acknowledged
	ResponseDueAt time.Time
	RespondedAt   time.Time // zero until the response (action or reason) is given
	ClosedAt      time.Time
	UpdatedAt     time.Time
	Version       int64 // bumped on every update; guards lost updates
}

// Number is the case number reporters quote, e.g. "TG-0000042".
func (c *Case) Number() string { return CaseNumber(c.ID) }

// CaseNumber formats a case id as its public number.
func CaseNumber(id int64) string { return fmt.Sprintf("TG-%07d", id) }

// ParseCaseNumber accepts "TG-0000042", "tg-42" or "42".
func ParseCaseNumber(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "TG-") {
		s = s[3:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(EINVALID, "%q is not a case number", s)
	}
	return id, nil
}

// Overdue reports whether the response clock has run out at now.
func (c *Case) Overdue(now time.Time) bool {
	return c.RespondedAt.IsZero() && !c.ResponseDueAt.IsZero() && now.After(c.ResponseDueAt)
}

// CaseSort names an order of the case queue.
type CaseSort string

const (
	// SortDue puts the nearest response deadline first: overdue cases lead,
	// then high priority (shorter clocks). The default.
	SortDue CaseSort = "due"
	// SortNewest puts the most recently opened case first.
	SortNewest CaseSort = "newest"
)

// CaseFilter selects cases for the queue. Zero fields do not filter.
type CaseFilter struct {
	Status      []CaseStatus
	Priority    Priority
	TLD         string
	ThreatType  ThreatType
	RegistrarID string
	Domain      string // exact registered name
	Overdue     bool   // only cases past their response deadline at Now
	Now         time.Time
	ReporterID  int64 // only cases with a report from this reporter
	Sort        CaseSort
	After       *CaseCursor // keyset pagination: start after this position
	Limit       int
}

// CaseCursor is a position in a sorted case list: the sort key of the last
// case seen and its id.
type CaseCursor struct {
	Key time.Time
	ID  int64
}

// CursorFor returns the cursor just after c in the given sort.
func CursorFor(c *Case, sort CaseSort) *CaseCursor {
	if sort == SortNewest {
		return &CaseCursor{Key: c.OpenedAt, ID: c.ID}
	}
	return &CaseCursor{Key: c.ResponseDueAt, ID: c.ID}
}

// String encodes the cursor for an API "next" link.
func (c *CaseCursor) String() string {
	return strconv.FormatInt(c.Key.UnixMicro(), 36) + "." + strconv.FormatInt(c.ID, 36)
}

// ParseCaseCursor decodes a cursor made by String.
func ParseCaseCursor(s string) (*CaseCursor, error) {
	k, id, ok := strings.Cut(s, ".")
	if !ok {
		return nil, FieldErrorf(EINVALID, "cursor", "malformed cursor")
	}
	us, err1 := strconv.ParseInt(k, 36, 64)
	n, err2 := strconv.ParseInt(id, 36, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil, FieldErrorf(EINVALID, "cursor", "malformed cursor")
	}
	return &CaseCursor{Key: time.UnixMicro(us).UTC(), ID: n}, nil
}

// CaseUpdate changes a case's triage fields. Nil fields stay as they are.
type CaseUpdate struct {
	Assignee       *string
	Classification *Classification
	Priority       *Priority
	Status         *CaseStatus
	// Reason is required when the priority or classification changes and
	// when the case is closed; it goes into the audit event and, on close,
	// into Resolution.
	Reason string
	// Version, when non-zero, must match the stored version (optimistic
	// locking for the UI's "someone else changed this case").
	Version int64
}

// CaseDetail is a case with everything an analyst reads on its page.
type CaseDetail struct {
	Case     *Case
	Reports  []*Report
	Evidence []Evidence
	Events   []*Event
}

// CasePage is one page of the case queue.
type CasePage struct {
	Cases []*Case
	Next  *CaseCursor // nil on the last page
}
