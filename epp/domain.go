package epp

import (
	"context"
	"strings"

	"github.com/tldguard/tldguard"
)

// Lookup reads name with <domain:info>. Errors: EINVALID for a name that
// is not a domain name, ENOTFOUND for 2303 (the registry does not hold
// it), EUNAVAILABLE for network, TLS and server-busy failures, another
// kind for any other refusal; every message names the command, the
// result code and the server's words.
func (c *Client) Lookup(ctx context.Context, name string) (*tldguard.Registration, error) {
	name = normalizeHost(name)
	if !isHostName(name) {
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "name", "%q is not a domain name", clean(name, 64))
	}
	s, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.release(s)
	info, _, err := c.info(ctx, s, name, "lookup")
	if lost(err) && ctx.Err() == nil {
		c.log.Warn("EPP connection lost; reconnecting", "session", s.id, "err", err)
		info, _, err = c.info(ctx, s, name, "lookup")
	}
	if err != nil {
		return nil, err
	}
	return registration(info), nil
}

// info sends <domain:info> and returns the name's data with the response.
func (c *Client) info(ctx context.Context, s *session, name, ref string) (*domainInfo, *response, error) {
	r, err := s.command(ctx, "domain:info", name, ref, func(id string) ([]byte, error) { return infoCommand(name, id), nil })
	if err != nil {
		return nil, nil, err
	}
	if !r.Success() {
		return nil, r, resultError("domain:info", name, r)
	}
	if r.Info == nil {
		s.drop()
		return nil, r, transportError(ctx, "domain:info", name, c.host, malformed("%d without domain:infData", r.Code), true)
	}
	if r.Info.Name != name {
		return nil, r, tldguard.Errorf(tldguard.EUNAVAILABLE, "EPP domain:info %s: the registry answered for %q", name, r.Info.Name)
	}
	return r.Info, r, nil
}

// registration is a tldguard.Registration from <domain:infData>. The TLD
// is what follows the first label: EPP registries register names directly
// under their TLDs.
func registration(d *domainInfo) *tldguard.Registration {
	reg := &tldguard.Registration{
		Name:        d.Name,
		RegistrarID: d.ClientID,
		Statuses:    d.Statuses,
		NameServers: d.NameServers,
		CreatedAt:   d.Created,
		UpdatedAt:   d.Updated,
	}
	if _, tld, ok := strings.Cut(d.Name, "."); ok {
		reg.TLD = tld
	}
	return reg
}

func state(d *domainInfo) tldguard.RegistryState {
	if d == nil {
		return tldguard.RegistryState{}
	}
	return tldguard.RegistryState{
		Statuses:    append([]string(nil), d.Statuses...),
		NameServers: append([]string(nil), d.NameServers...),
		RegistrarID: d.ClientID,
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
