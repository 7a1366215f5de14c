package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestPropose(t *testing.T) {
	p := Default()
	registered := func(class tldguard.Classification, threat tldguard.ThreatType) *tldguard.Case {
		return &tldguard.Case{Domain: "bad.example", ThreatType: threat, Classification: class, Registered: true, RegistrarID: "9001"}
	}
	kinds := func(ps []Proposal) string {
		var s []string
		for _, x := range ps {
			s = append(s, string(x.Kind))
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name      string
		c         *tldguard.Case
		requested tldguard.ActionKind
		want      string
	}{
		{"malicious phishing is held", registered(tldguard.ClassMalicious, tldguard.ThreatPhishing), "", "hold"},
		{"compromised phishing is referred", registered(tldguard.ClassCompromised, tldguard.ThreatPhishing), "", "refer_registrar"},
		{"unknown is referred and more evidence asked", registered(tldguard.ClassUnknown, tldguard.ThreatMalware), "", "refer_registrar,request_info"},
		{"botnet C2 of unknown class is held", registered(tldguard.ClassUnknown, tldguard.ThreatBotnet), "", "hold"},
		{"unregistered is blocked", &tldguard.Case{Domain: "x1.example", ThreatType: tldguard.ThreatBotnet}, "", "block"},
		{"out of scope is answered", registered(tldguard.ClassUnknown, tldguard.ThreatOutOfScope), "", "no_action"},
		{"the authority's request comes first", registered(tldguard.ClassCompromised, tldguard.ThreatPhishing), tldguard.ActionHold, "hold,refer_registrar"},
		{"a request that does not apply is dropped", &tldguard.Case{Domain: "x1.example", ThreatType: tldguard.ThreatBotnet}, tldguard.ActionHold, "block"},
		{"no referral without a registrar", &tldguard.Case{Domain: "a.example", ThreatType: tldguard.ThreatMalware, Classification: tldguard.ClassCompromised, Registered: true}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Propose(tt.c, tldguard.SourceTrustedNotifier, tt.requested, "Metro Police")
			if kinds(got) != tt.want {
				t.Errorf("proposed %q, want %q", kinds(got), tt.want)
			}
			for _, x := range got {
				if x.Why == "" {
					t.Errorf("%s proposed without a reason", x.Kind)
				}
			}
		})
	}
	if e := p.Escalation(registered(tldguard.ClassMalicious, tldguard.ThreatPhishing)); e.Kind != tldguard.ActionHold {
		t.Errorf("escalation of a malicious name: %s", e.Kind)
	}
	if e := p.Escalation(registered(tldguard.ClassCompromised, tldguard.ThreatPhishing)); e.Kind != tldguard.ActionRedirect {
		t.Errorf("escalation of a compromised name: %s", e.Kind)
	}
}

func TestRequiredApprovals(t *testing.T) {
	p := Default()
	for kind, want := range map[tldguard.ActionKind][2]int{
		tldguard.ActionHold:           {1, 2},
		tldguard.ActionTransfer:       {2, 3},
		tldguard.ActionDelete:         {2, 3},
		tldguard.ActionReferRegistrar: {0, 0},
		tldguard.ActionNoAction:       {0, 0},
		tldguard.ActionRequestInfo:    {0, 0},
	} {
		if got := [2]int{p.RequiredApprovals(kind, false), p.RequiredApprovals(kind, true)}; got != want {
			t.Errorf("%s: %v, want %v", kind, got, want)
		}
	}
	if p.ReferralWindow(tldguard.PriorityHigh) >= p.ReferralWindow(tldguard.PriorityStandard) {
		t.Error("a high-priority referral must be answered sooner")
	}
}

func TestClassify(t *testing.T) {
	p := Default()
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     ClassifyInput
		want   tldguard.Classification
		reason string
	}{
		{"fresh name with a brand", ClassifyInput{Domain: "paypal-login.example", Registered: true, CreatedAt: now.Add(-48 * time.Hour), FirstReport: now}, tldguard.ClassMalicious, "brand term"},
		{"fresh name alone", ClassifyInput{Domain: "qwzx.example", Registered: true, CreatedAt: now.Add(-72 * time.Hour), FirstReport: now}, tldguard.ClassMalicious, "registered 3 days"},
		{"old site with a WordPress path", ClassifyInput{Domain: "bakery.example", Registered: true, CreatedAt: now.Add(-4 * 365 * 24 * time.Hour), FirstReport: now,
			URLs: []string{"http://bakery.example/wp-content/uploads/x/login.php"}}, tldguard.ClassCompromised, "hacked site"},
		{"listed as abused legitimate", ClassifyInput{Domain: "club.example", Registered: true, AbusedLegitimate: true}, tldguard.ClassCompromised, "abused legitimate"},
		{"nothing to go on", ClassifyInput{Domain: "shop.example", Registered: true}, tldguard.ClassUnknown, "no signal"},
		{"unregistered", ClassifyInput{Domain: "x7f.example"}, tldguard.ClassMalicious, "not registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := p.Classify(tt.in)
			if v.Class != tt.want || !strings.Contains(strings.Join(v.Reasons, "; "), tt.reason) {
				t.Errorf("got %+v, want %s because %q", v, tt.want, tt.reason)
			}
		})
	}
}

func TestCollateral(t *testing.T) {
	p := Default()
	p.Protected = []string{"nic.example"}
	p.SharedServices = []string{"short.example"}
	w := p.Collateral(CollateralInput{Domain: "x.short.example"})
	if !Guarded(w) || w[0].Code != "shared_service" {
		t.Errorf("a name under a shared service: %+v", w)
	}
	w = p.Collateral(CollateralInput{Domain: "nic.example", NameServers: []string{"ns1.nic.example", "ns.other.example"}, DependentNames: 40})
	codes := ""
	for _, x := range w {
		codes += x.Code + " "
	}
	if codes != "protected glue dependent_names " || !Guarded(w) {
		t.Errorf("protected name with glue and dependants: %q", codes)
	}
	if w := p.Collateral(CollateralInput{Domain: "plain.example", NameServers: []string{"ns1.host.example"}}); len(w) != 0 {
		t.Errorf("a plain name: %+v", w)
	}
}
