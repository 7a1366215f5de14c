package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestPriority(t *testing.T) {
	verified := &tldguard.Verification{By: "admin", At: time.Unix(0, 0), How: "called the agency switchboard"}
	le := func(v *tldguard.Verification) *tldguard.Reporter {
		return &tldguard.Reporter{Name: "Metro Police", Source: tldguard.SourceLawEnforcement, Verification: v}
	}
	urgent := &tldguard.AuthorityRequest{Urgency: tldguard.UrgencyLife, UrgencyReason: "kidnapping ransom site"}
	tests := []struct {
		name     string
		reporter *tldguard.Reporter
		req      *tldguard.AuthorityRequest
		want     tldguard.Priority
		reason   string
	}{
		{"verified LE, life", le(verified), urgent, tldguard.PriorityHigh, "verified law_enforcement"},
		{"verified government, infrastructure", &tldguard.Reporter{Name: "CERT", Source: tldguard.SourceGovernment, Verification: verified},
			&tldguard.AuthorityRequest{Urgency: tldguard.UrgencyCriticalInfrastructure}, tldguard.PriorityHigh, "critical infrastructure"},
		{"verified LE, child exploitation", le(verified), &tldguard.AuthorityRequest{Urgency: tldguard.UrgencyChildExploitation}, tldguard.PriorityHigh, "child exploitation"},
		{"unverified LE claiming urgency", le(nil), urgent, tldguard.PriorityStandard, "unverified"},
		{"trusted notifier claiming urgency", &tldguard.Reporter{Name: "TN", Source: tldguard.SourceTrustedNotifier, Verification: verified}, urgent, tldguard.PriorityStandard, "only verified law-enforcement"},
		{"public claiming urgency", &tldguard.Reporter{Name: "p", Source: tldguard.SourcePublic}, urgent, tldguard.PriorityStandard, "public"},
		{"verified LE, no urgency", le(verified), &tldguard.AuthorityRequest{Authority: "Metro Police"}, tldguard.PriorityStandard, "no imminent threat"},
		{"verified LE, no request", le(verified), nil, tldguard.PriorityStandard, "no imminent threat"},
	}
	p := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := p.Priority(tt.reporter, tt.req)
			if got != tt.want {
				t.Errorf("priority = %s, want %s (reason %q)", got, tt.want, reason)
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", reason, tt.reason)
			}
		})
	}
}

func TestResponseWindow(t *testing.T) {
	p := Default()
	if got := p.ResponseWindow(tldguard.PriorityHigh); got != 24*time.Hour {
		t.Errorf("high window = %s", got)
	}
	if got := p.ResponseWindow(tldguard.PriorityStandard); got != 72*time.Hour {
		t.Errorf("standard window = %s", got)
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	p := Default()
	p.Clocks.HighResponse = 100 * time.Hour
	if err := p.Validate(); tldguard.ErrorField(err) != "clocks.high_response" {
		t.Errorf("want error naming clocks.high_response, got %v", err)
	}
	p = Default()
	p.Clocks.StandardResponse = 0
	if err := p.Validate(); tldguard.ErrorField(err) != "clocks.standard_response" {
		t.Errorf("want error naming clocks.standard_response, got %v", err)
	}
}
