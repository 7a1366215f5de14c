package rdap

import "strings"

// eppStatuses maps RDAP status values to the EPP status names tldguard
// keeps (RFC 8056 §2, which covers the domain statuses of RFC 5731, the
// grace-period statuses of RFC 3915 and the "linked" status of hosts and
// contacts).
var eppStatuses = map[string]string{
	"active":                     "ok",
	"inactive":                   "inactive",
	"associated":                 "linked",
	"pending create":             "pendingCreate",
	"pending delete":             "pendingDelete",
	"pending renew":              "pendingRenew",
	"pending restore":            "pendingRestore",
	"pending transfer":           "pendingTransfer",
	"pending update":             "pendingUpdate",
	"client delete prohibited":   "clientDeleteProhibited",
	"client hold":                "clientHold",
	"client renew prohibited":    "clientRenewProhibited",
	"client transfer prohibited": "clientTransferProhibited",
	"client update prohibited":   "clientUpdateProhibited",
	"server delete prohibited":   "serverDeleteProhibited",
	"server hold":                "serverHold",
	"server renew prohibited":    "serverRenewProhibited",
	"server transfer prohibited": "serverTransferProhibited",
	"server update prohibited":   "serverUpdateProhibited",
	"add period":                 "addPeriod",
	"auto renew period":          "autoRenewPeriod",
	"renew period":               "renewPeriod",
	"redemption period":          "redemptionPeriod",
	"transfer period":            "transferPeriod",
}

// eppNames finds an EPP status name written in any case, for servers that
// put EPP names straight into "status".
var eppNames = func() map[string]string {
	m := make(map[string]string, len(eppStatuses))
	for _, epp := range eppStatuses {
		m[strings.ToLower(epp)] = epp
	}
	return m
}()

// eppStatus returns the EPP name of an RDAP status. Values with no EPP
// equivalent ("locked", "validated", "removed", ...) come back as the
// server wrote them, lower-cased with runs of space collapsed, so nothing
// the registry said is lost.
func eppStatus(rdap string) string {
	s := strings.ToLower(strings.Join(strings.Fields(rdap), " "))
	if epp, ok := eppStatuses[s]; ok {
		return epp
	}
	if epp, ok := eppNames[s]; ok {
		return epp
	}
	return s
}
