package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/dnsname"
)

// tldRefresh is how long the TLD list is cached. TLDs change rarely; a TLD
// added from the command line beside a running server is seen within this.
const tldRefresh = 10 * time.Second

// tlds returns the operator's TLDs as a suffix set, cached.
func (s *Service) tlds(ctx context.Context) (*dnsname.Suffixes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.suffixes != nil && time.Since(s.tldsAt) < tldRefresh {
		return s.suffixes, nil
	}
	var names []string
	if err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		names, err = tx.TLDs()
		return err
	}); err != nil {
		return nil, err
	}
	suf, err := dnsname.NewSuffixes(names)
	if err != nil {
		return nil, err
	}
	s.suffixes, s.tldsAt = suf, time.Now()
	return suf, nil
}

// TLDs lists the operator's TLDs.
func (s *Service) TLDs(ctx context.Context) ([]string, error) {
	if _, err := require(ctx, tldguard.StaffRoles...); err != nil {
		return nil, err
	}
	var names []string
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		names, err = tx.TLDs()
		return err
	})
	return names, err
}

// AddTLD adds a TLD the operator runs (admin). ECONFLICT when present.
func (s *Service) AddTLD(ctx context.Context, name string) (string, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return "", err
	}
	tld, err := dnsname.Normalize(strings.TrimPrefix(strings.TrimSpace(name), "."))
	if err != nil {
		return "", err
	}
	now := s.clock()
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.AddTLD(tld, now); err != nil {
			if tldguard.ErrorKind(err) == tldguard.ECONFLICT {
				return tldguard.Errorf(tldguard.ECONFLICT, "TLD %q is already configured", tld)
			}
			return err
		}
		return tx.AppendEvent(event(ctx, now, "tld.added", 0, fmt.Sprintf("tld:%s", tld), map[string]any{"tld": tld}))
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.suffixes = nil
	s.mu.Unlock()
	return tld, nil
}
