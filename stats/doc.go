// Package stats produces the statistical reports a registry operator must
// keep under Specification 11 §3(b) of the registry agreement ("the number
// of security threats identified and the actions taken as a result of the
// periodic security checks"), for any period and any TLD or all of them,
// as JSON, CSV and a printable HTML page with charts; keeps a snapshot of
// each month's report for the term of the agreement; publishes the
// optional transparency page; and collects the operational metrics the
// database holds.
//
// # Records
//
// Every figure is computed in Go, by one code path, from the per-domain
// records a store yields for the period (tldguard.Tx.StatsCases): each case
// with what identified it and its state after every change made before the
// period's end; and from the period's action records
// (tldguard.Tx.StatsActions), read first: each action carried out, when,
// and for a referral its due time and the registrar's answer if given
// before the period's end. The stores write those states themselves (a trigger on the
// cases table), so a case's history is complete whichever code changed it,
// and a report for a past period reads nothing written after that period:
// re-running it later gives the same numbers (Service.Verify checks a
// snapshot that way). The exception is the abuse rate's denominator, the
// registry's count of names when the report is computed.
//
// A period is [From, To) in UTC: an event at exactly To belongs to the
// next period. Times: a case is opened when its first report is received
// (or the zone check opens it); it is acknowledged when the receipt with
// its number is given (at once, today); its response is given when its
// clock stops, which today is its first closure with a stated reason.
//
// # Figures
//
// In-scope threats are cases whose threat type is phishing, malware,
// botnet, pharming or spam. Out-of-scope cases count only in out_of_scope.
//
//   - identified: in-scope cases opened in the period. A case counts once,
//     in the period it was opened, whatever happens to it later; a case
//     reopened is the same case and is not identified again; a new report
//     on a name after its case was closed opens a new case, which is.
//     By type; by source (feed when a zone-check finding saw the name no
//     later than the case was opened, else the first report's tier, else
//     unknown); unique_names (distinct names); registered/unregistered.
//   - actions: the actions taken on in-scope cases in the period, each
//     counted in the period it was taken, however old the case.
//     by_type counts the registry's actions by kind (request_info,
//     refer_registrar, hold, lock, redirect, transfer, delete, block,
//     no_action, release): every action carried out (done, or done and
//     since undone) whose DoneAt is in the period, once; and every closure
//     with a reason made in the period without a no_action action, as
//     no_action with that reason (a case closed twice in the period counts
//     two). A no_action action closes its case in the same instant
//     (DoneAt = the closure's time): that closure is the action and counts
//     once, as the action with the action's reason. no_action_reasons
//     groups both by reason, without case and extra spaces.
//     by_actor: "registry" for all of by_type; "registrar_after_referral"
//     for each referral the registrar answered "mitigated", in the period
//     of the answer. total is the sum of by_actor.
//     undone: the releases carried out in the period (each undoes one
//     earlier action). A hold taken in one period and released in the
//     next counts as a hold in the first and as a release and undone in
//     the second; the first period's counts do not change.
//     Actions on out-of-scope cases count only as out_of_scope answers.
//     Proposed, rejected and failed actions count nowhere.
//   - referrals (in actions and per registrar): sent, the referrals
//     carried out in the period; answered_in_time and answered_late, the
//     answers given in the period, at or before the referral's due time
//     (Answer.At <= DueAt) or after it; unanswered_at_end, the referrals
//     sent before the period's end without an answer by then (one sent
//     long ago counts in every period until it is answered); mitigated and
//     declined, the answers given in the period by outcome ("mitigated",
//     "no_action").
//   - responses: the first responses given in the period. A case spanning
//     two periods counts as identified in the first and as responded in
//     the second. Time to respond is the response time minus the opening
//     time; within_clock when the response came at or before the deadline
//     as it stood at that moment (a later priority change does not move
//     it); late otherwise. A case closed, reopened and closed again has
//     one response (the first closure); its second closure is an action.
//     Split by the priority at the response.
//   - acknowledgements: of the threats identified in the period, those
//     acknowledged before its end (time to acknowledge = acknowledgement
//     minus opening; late when after the clock, which is "at once", 0),
//     and those not acknowledged by then (a zone-check case has no
//     reporter to acknowledge).
//   - clocks.missed: cases whose response deadline ran out in the period:
//     the first instant at which the case had no response and its deadline,
//     as it then stood, had passed. A case misses at most once.
//     clocks.overdue_at_end: cases open at the period's end, without a
//     response, past their deadline. clocks.responded_late: responses.late.
//   - open_at_end: in-scope cases not closed at the period's end (their
//     state then), by status, type and priority then; a case opened before
//     the period and still open counts in every period it is open at the
//     end of. A case closed in the period and reopened after it counts as
//     closed at this period's end.
//   - reopened: reopenings of in-scope cases made in the period.
//   - out_of_scope: out-of-scope cases opened (received) in the period, by
//     the reporter's category; their closures in the period (answered);
//     those open at its end.
//   - registrars: per sponsoring registrar (names not registered together
//     under id ""): identified, responded, actions, open and overdue at
//     end as above, and the referrals figures of the names it sponsors.
//     The registrar is the case's.
//   - abuse_rate and tlds: distinct registered names among the threats
//     identified in the period, per 10,000 names the embedded registry
//     holds in the report's TLDs (tldguard.Tx.CountRegistrations) when the
//     report is computed.
//   - zone_check: the zone-check runs started in the period and finished
//     (failed ones apart), the names the last successful one checked, and,
//     for a report over every TLD, the new findings and cases they recorded.
//   - weekly: identified by the week (from Monday, UTC) the case was opened.
//   - respond_times: responses by time to respond, in fixed buckets.
//
// Medians and 90th percentiles use the nearest-rank method (see
// Distribution). Every case that counts in any figure is listed in the
// per-domain detail with the names of the figures it counts in (action,
// referral and undone for the figures above). A case closed for good
// before the period that counts only through an action (a release, a
// referral's answer or a referral still unanswered) has a short line: its
// name, registrar and those actions, outcome "closed before the period".
package stats
