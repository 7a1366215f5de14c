package policy

import (
	"fmt"
	"strings"

	"github.com/tldguard/tldguard"
)

// CollateralInput is what the guard knows about a name before an action
// that changes its resolution.
type CollateralInput struct {
	Domain string
	// NameServers are the name's own name servers; those under the name
	// itself (in-bailiwick, with glue) go dark with it.
	NameServers []string
	// DependentNames counts other registrations whose name servers are
	// under this name: they stop resolving too.
	DependentNames int
	// ReportedHosts counts distinct host names reported under the name:
	// many suggest a platform with many users.
	ReportedHosts int
}

// Collateral lists what else an action that changes resolution would take
// down: protected names, shared services (hosting, shorteners, dynamic
// DNS), name servers under the name and the names that depend on them.
func (p *Policy) Collateral(in CollateralInput) []tldguard.Warning {
	var w []tldguard.Warning
	if m := matchList(in.Domain, p.Protected); m != "" {
		w = append(w, tldguard.Warning{Code: "protected", Guarded: true,
			Message: fmt.Sprintf("%s is on the protected list (%s): an extra approval is needed", in.Domain, m)})
	}
	if m := matchList(in.Domain, p.SharedServices); m != "" {
		w = append(w, tldguard.Warning{Code: "shared_service", Guarded: true,
			Message: fmt.Sprintf("%s is a shared service (%s): every user of it goes dark, not just the abuser", in.Domain, m)})
	}
	var inside []string
	for _, ns := range in.NameServers {
		if strings.HasSuffix(strings.ToLower(ns), "."+in.Domain) {
			inside = append(inside, ns)
		}
	}
	if len(inside) > 0 {
		w = append(w, tldguard.Warning{Code: "glue", Message: fmt.Sprintf("its name servers %s are under the name and stop answering", strings.Join(inside, ", "))})
	}
	if in.DependentNames > 0 {
		w = append(w, tldguard.Warning{Code: "dependent_names", Guarded: in.DependentNames >= 10,
			Message: fmt.Sprintf("%d other registered names use name servers under %s and stop resolving too", in.DependentNames, in.Domain)})
	}
	if in.ReportedHosts >= 5 {
		w = append(w, tldguard.Warning{Code: "many_hosts", Message: fmt.Sprintf("%d different hosts under the name were reported: it may be a platform with many users", in.ReportedHosts)})
	}
	return w
}

// Guarded reports whether any warning needs the extra approval.
func Guarded(ws []tldguard.Warning) bool {
	for _, w := range ws {
		if w.Guarded {
			return true
		}
	}
	return false
}

// matchList returns the entry of list that is name or a parent of it.
func matchList(name string, list []string) string {
	for _, e := range list {
		e = strings.ToLower(strings.TrimSuffix(e, "."))
		if name == e || strings.HasSuffix(name, "."+e) {
			return e
		}
	}
	return ""
}
