package epp

import (
	"context"
	"fmt"
	"strings"

	"github.com/tldguard/tldguard"
)

// settable are the statuses an <domain:update> may add or remove
// (RFC 5731 §2.3); the others are the server's own bookkeeping.
var settable = []string{
	"serverHold", "serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited", "serverRenewProhibited",
	"clientHold", "clientUpdateProhibited", "clientDeleteProhibited", "clientTransferProhibited", "clientRenewProhibited",
}

const statusPendingDelete = "pendingDelete"

// plan is a checked Change: what the name must look like afterwards.
type plan struct {
	kind    tldguard.ActionKind
	domain  string
	add     []string // statuses that must be present
	rem     []string // statuses that must be absent
	ns      []string // the name servers wanted, when setNS
	setNS   bool
	gaining string
	ref     string
}

// newPlan checks c and completes it from its kind: a hold adds serverHold
// and a lock the three prohibitions, whatever else the Change lists.
func newPlan(c tldguard.Change, canTransfer bool) (*plan, error) {
	p := &plan{kind: c.Kind, domain: normalizeHost(c.Domain), ref: c.Reference, gaining: strings.TrimSpace(c.RegistrarID)}
	if !isHostName(p.domain) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "domain", "%q is not a domain name", clean(c.Domain, 64))
	}
	switch c.Kind {
	case tldguard.ActionHold:
		p.add = append(p.add, tldguard.StatusServerHold)
	case tldguard.ActionLock:
		p.add = append(p.add, tldguard.LockStatuses...)
	case tldguard.ActionRedirect:
		if len(c.NameServers) == 0 {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name_servers", "a redirect needs the sinkhole name servers")
		}
	case tldguard.ActionRelease:
		// The statuses to remove and the name servers to restore come
		// with the Change. None at all is a release of something that was
		// there before the undone action: nothing to do, Applied=false.
	case tldguard.ActionDelete:
		if len(c.AddStatuses) > 0 || c.NameServers != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "kind", "a delete may only remove statuses (those that prohibit it) before deleting")
		}
	case tldguard.ActionTransfer:
		if !isToken(p.gaining) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "registrar_id", "a transfer needs the gaining registrar's client id")
		}
		if len(c.AddStatuses)+len(c.RemoveStatuses) > 0 || c.NameServers != nil {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "kind", "a transfer changes only the sponsoring registrar")
		}
		if !canTransfer {
			return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "transfer needs the registry's own interface (webhook adapter): EPP has no registry-initiated transfer and no transfer extension is configured")
		}
	case tldguard.ActionBlock:
		return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "block concerns names not registered: the EPP adapter changes registered names only")
	default:
		if c.Kind.Valid() {
			return nil, tldguard.Errorf(tldguard.EUNPROCESSABLE, "%s is not a change at the registry", c.Kind)
		}
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "kind", "unknown action kind %q", clean(string(c.Kind), 32))
	}
	for _, s := range c.AddStatuses {
		if !validStatus(s) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "add_statuses", "%q is not a status an update can set", clean(s, 64))
		}
		p.add = appendUnique(p.add, s)
	}
	for _, s := range c.RemoveStatuses {
		if !validStatus(s) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "remove_statuses", "%q is not a status an update can clear", clean(s, 64))
		}
		if has(p.add, s) {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "remove_statuses", "%s is both added and removed", s)
		}
		p.rem = appendUnique(p.rem, s)
	}
	if c.NameServers != nil {
		p.setNS = true
		p.ns = []string{} // non-nil: "no name servers" is a state a release may restore
		for _, h := range c.NameServers {
			n := normalizeHost(h)
			if !isHostName(n) {
				return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name_servers", "%q is not a host name", clean(h, 64))
			}
			p.ns = appendUnique(p.ns, n)
		}
		if len(p.ns) > maxNameServers {
			return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name_servers", "more than %d name servers", maxNameServers)
		}
	}
	return p, nil
}

func validStatus(s string) bool {
	for _, x := range settable {
		if s == x {
			return true
		}
	}
	return false
}

// target is the wanted state of the statuses a change touches (true:
// present) and, when setNS, of the name servers. It is computed once from
// the first state read, so that a retry after a lost connection finishes
// the same change.
type target struct {
	order  []string
	status map[string]bool
	ns     []string
	setNS  bool
}

func (p *plan) target(before *domainInfo) target {
	t := target{status: map[string]bool{}, ns: p.ns, setNS: p.setNS}
	set := func(s string, v bool) {
		if _, ok := t.status[s]; !ok {
			t.order = append(t.order, s)
		}
		t.status[s] = v
	}
	for _, s := range p.add {
		set(s, true)
	}
	for _, s := range p.rem {
		set(s, false)
	}
	// serverUpdateProhibited stays unless the change removes it, even if
	// it has to be lifted for a moment to make the change.
	if _, ok := t.status[tldguard.StatusServerUpdateProhibited]; !ok && has(before.Statuses, tldguard.StatusServerUpdateProhibited) {
		set(tldguard.StatusServerUpdateProhibited, true)
	}
	return t
}

// diff returns the updates that take cur to t: none when cur already is
// t; one in general; two when serverUpdateProhibited is set and something
// else must change, because the server rejects any update of such a name
// other than the removal of that status (RFC 5731 §2.3). Then the first
// update removes serverUpdateProhibited alone and the second makes the
// change and, unless the change is a release of the lock, sets it again.
func diff(cur *domainInfo, t target, hostAttr bool) []update {
	u := update{Name: cur.Name, HostAttr: cur.HostAttr || len(cur.NameServers) == 0 && hostAttr}
	for _, s := range t.order {
		switch want, there := t.status[s], has(cur.Statuses, s); {
		case want && !there:
			u.AddStatus = append(u.AddStatus, s)
		case !want && there:
			u.RemStatus = append(u.RemStatus, s)
		}
	}
	if t.setNS {
		for _, h := range t.ns {
			if !has(cur.NameServers, h) {
				u.AddNS = append(u.AddNS, h)
			}
		}
		for _, h := range cur.NameServers {
			if !has(t.ns, h) {
				u.RemNS = append(u.RemNS, h)
			}
		}
	}
	if u.empty() {
		return nil
	}
	sup := tldguard.StatusServerUpdateProhibited
	if !has(cur.Statuses, sup) {
		return []update{u}
	}
	lift := update{Name: u.Name, RemStatus: []string{sup}}
	rest := u
	rest.RemStatus = without(u.RemStatus, sup)
	if rest.empty() {
		return []update{u} // removing serverUpdateProhibited is all there is to do
	}
	if t.status[sup] {
		rest.AddStatus = append(rest.AddStatus, sup)
	}
	return []update{lift, rest}
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// applyState carries one Apply across its retry.
type applyState struct {
	before  *domainInfo
	target  target
	sent    bool // an update, delete or transfer has been sent
	details []string
}

// Apply makes c at the registry, reading the name first and changing only
// what differs (see the package doc). ChangeResult.Before and After are
// read with <domain:info> before and after; Detail holds each command's
// result code, message and svTRID. A connection lost during Apply is
// reconnected and the whole Apply retried once from a fresh read, so a
// change whose answer was lost is neither sent twice nor reported as not
// applied.
//
// Errors: EINVALID for a malformed Change; EUNPROCESSABLE for kinds EPP
// cannot carry out (block, transfer without Config.Transfer); ENOTFOUND
// (2303); ECONFLICT when the name's status prohibits the change (2304);
// EFORBIDDEN (2201, 2202); EUNAUTHORIZED when the login is refused;
// EUNAVAILABLE for network, TLS, timeouts and 2400/25xx, worth retrying.
func (c *Client) Apply(ctx context.Context, ch tldguard.Change) (*tldguard.ChangeResult, error) {
	p, err := newPlan(ch, c.cfg.Transfer != nil)
	if err != nil {
		return nil, err
	}
	s, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.release(s)
	st := &applyState{}
	for attempt := 0; ; attempt++ {
		res, err := c.applyOnce(ctx, s, p, st)
		if err == nil || !lost(err) || attempt > 0 || ctx.Err() != nil {
			if err != nil {
				c.log.Warn("EPP change failed", "domain", p.domain, "kind", p.kind, "ref", p.ref, "err", err)
			} else {
				c.log.Info("EPP change", "domain", p.domain, "kind", p.kind, "ref", p.ref, "applied", res.Applied, "detail", res.Detail)
			}
			return res, err
		}
		c.log.Warn("EPP connection lost during a change; reconnecting and reading the name again", "domain", p.domain, "ref", p.ref, "err", err)
	}
}

func (c *Client) applyOnce(ctx context.Context, s *session, p *plan, st *applyState) (*tldguard.ChangeResult, error) {
	cur, r, err := c.info(ctx, s, p.domain, p.ref)
	if err != nil {
		if p.kind == tldguard.ActionDelete && st.sent && tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
			st.details = append(st.details, "the name is gone after reconnecting: the delete took effect")
			return c.result(st, tldguard.RegistryState{}), nil
		}
		return nil, err
	}
	if st.before == nil {
		st.before, st.target = cur, p.target(cur)
	}
	switch p.kind {
	case tldguard.ActionDelete:
		if has(cur.Statuses, statusPendingDelete) {
			return c.unchanged(st, cur, r), nil
		}
		if err := c.sendUpdates(ctx, s, p, diff(cur, st.target, c.cfg.HostAttr), st); err != nil {
			return nil, err
		}
		st.sent = true
		r, err := s.command(ctx, "domain:delete", p.domain, p.ref, func(id string) ([]byte, error) { return deleteCommand(p.domain, id), nil })
		if err != nil {
			return nil, err
		}
		if !r.Success() {
			return nil, resultError("domain:delete", p.domain, r)
		}
		st.details = append(st.details, describe("domain:delete", p.domain, r))
		return c.finish(ctx, s, p, st, tldguard.RegistryState{}), nil
	case tldguard.ActionTransfer:
		if strings.EqualFold(cur.ClientID, p.gaining) {
			return c.unchanged(st, cur, r), nil
		}
		st.sent = true
		r, err := s.command(ctx, "transfer", p.domain, p.ref, func(id string) ([]byte, error) {
			b, err := c.cfg.Transfer(p.domain, p.gaining, id)
			if err != nil {
				return nil, tldguard.Internal(err, "epp: transfer hook")
			}
			return b, nil
		})
		if err != nil {
			return nil, err
		}
		if !r.Success() {
			return nil, resultError("transfer", p.domain, r)
		}
		st.details = append(st.details, describe("transfer", p.domain, r))
		after := state(cur)
		after.RegistrarID = p.gaining
		return c.finish(ctx, s, p, st, after), nil
	}
	ups := diff(cur, st.target, c.cfg.HostAttr)
	if len(ups) == 0 {
		return c.unchanged(st, cur, r), nil
	}
	if err := c.sendUpdates(ctx, s, p, ups, st); err != nil {
		if lost(err) || ctx.Err() != nil {
			return nil, err
		}
		// A refusal such as 2306 "status already set" may mean another
		// change (a second case on the name, another node) got there
		// between our info and our update: read the name again, and a
		// registry that now holds the wanted state is success.
		now, r2, ierr := c.info(ctx, s, p.domain, p.ref)
		if ierr != nil || len(diff(now, st.target, c.cfg.HostAttr)) != 0 {
			return nil, err
		}
		st.details = append(st.details, fmt.Sprintf("the update was refused (%s), but the name read again holds the wanted state: another change put it there", tldguard.ErrorMessage(err)))
		return &tldguard.ChangeResult{Applied: false, Before: state(st.before), After: state(now),
			Detail: strings.Join(st.details, "; ") + "; " + describe("domain:info", now.Name, r2)}, nil
	}
	return c.finish(ctx, s, p, st, predict(cur, ups)), nil
}

// unchanged answers a change the registry already reflects. After a lost
// answer the first attempt's update is what put it there: that is
// reported as applied.
func (c *Client) unchanged(st *applyState, cur *domainInfo, r *response) *tldguard.ChangeResult {
	if st.sent {
		st.details = append(st.details, "the state read after reconnecting shows the change in place")
		return c.result(st, state(cur))
	}
	return &tldguard.ChangeResult{
		Applied: false,
		Before:  state(cur),
		After:   state(cur),
		Detail:  "no change: the registry already holds the wanted state; " + describe("domain:info", cur.Name, r),
	}
}

func (c *Client) result(st *applyState, after tldguard.RegistryState) *tldguard.ChangeResult {
	return &tldguard.ChangeResult{Applied: true, Before: state(st.before), After: after, Detail: strings.Join(st.details, "; ")}
}

// finish reads the name after the change. If that read fails the change
// still stands: After is then what the change must have produced, and
// Detail says the read failed.
func (c *Client) finish(ctx context.Context, s *session, p *plan, st *applyState, predicted tldguard.RegistryState) *tldguard.ChangeResult {
	after, _, err := c.info(ctx, s, p.domain, p.ref)
	switch {
	case err == nil:
		return c.result(st, state(after))
	case p.kind == tldguard.ActionDelete && tldguard.ErrorKind(err) == tldguard.ENOTFOUND:
		return c.result(st, tldguard.RegistryState{})
	}
	st.details = append(st.details, "state after not read: "+tldguard.ErrorMessage(err))
	return c.result(st, predicted)
}

// sendUpdates sends ups in order. When the first lifted
// serverUpdateProhibited and a later one fails, it sets the status again
// before returning the error: a failed change must not leave a lock open.
func (c *Client) sendUpdates(ctx context.Context, s *session, p *plan, ups []update, st *applyState) error {
	for i, u := range ups {
		st.sent = true
		r, err := s.command(ctx, "domain:update", p.domain, p.ref, func(id string) ([]byte, error) { return updateCommand(u, id), nil })
		if err == nil && !r.Success() {
			err = updateError(p.domain, u, r)
		}
		if err != nil {
			if i > 0 && has(u.AddStatus, tldguard.StatusServerUpdateProhibited) {
				err = c.relock(ctx, s, p, err)
			}
			return err
		}
		st.details = append(st.details, describe("domain:update", p.domain, r))
	}
	return nil
}

func (c *Client) relock(ctx context.Context, s *session, p *plan, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	u := update{Name: p.domain, AddStatus: []string{tldguard.StatusServerUpdateProhibited}}
	r, err := s.command(ctx, "domain:update", p.domain, p.ref, func(id string) ([]byte, error) { return updateCommand(u, id), nil })
	if err == nil && !r.Success() {
		err = resultError("domain:update", p.domain, r)
	}
	e := &tldguard.Error{Kind: tldguard.ErrorKind(cause), Err: cause}
	if err != nil {
		c.log.Error("EPP: serverUpdateProhibited lifted for a change that failed, and not set again", "domain", p.domain, "err", err)
		e.Message = fmt.Sprintf("%s; serverUpdateProhibited was lifted for the change and could not be set again (%s): set it by hand", tldguard.ErrorMessage(cause), tldguard.ErrorMessage(err))
		return e
	}
	e.Message = tldguard.ErrorMessage(cause) + "; serverUpdateProhibited set again"
	return e
}

// updateError is resultError with one refinement: 2303 in an update that
// adds host objects most likely means a host object the registry does not
// have, not that the name vanished.
func updateError(name string, u update, r *response) error {
	if r.Code == 2303 && len(u.AddNS) > 0 && !u.HostAttr {
		return tldguard.Errorf(tldguard.EUNPROCESSABLE, "%s; the registry may lack a host object for %s: create it first", describe("domain:update", name, r), strings.Join(u.AddNS, ", "))
	}
	return resultError("domain:update", name, r)
}

// predict applies ups to cur: the state to record when the read after
// the change fails.
func predict(cur *domainInfo, ups []update) tldguard.RegistryState {
	st := state(cur)
	for _, u := range ups {
		for _, s := range u.RemStatus {
			st.Statuses = without(st.Statuses, s)
		}
		for _, s := range u.AddStatus {
			st.Statuses = appendUnique(without(st.Statuses, "ok"), s)
		}
		for _, h := range u.RemNS {
			st.NameServers = without(st.NameServers, h)
		}
		st.NameServers = append(st.NameServers, u.AddNS...)
	}
	return st
}
