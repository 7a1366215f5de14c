package service

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/tldguard/tldguard"
)

// Token prefixes: a leaked secret says what it opens.
const (
	userTokenPrefix     = "tgu_"
	reporterTokenPrefix = "tgr_"
	sessionPrefix       = "tgs_"
)

func secretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var errBadCredentials = tldguard.Errorf(tldguard.EUNAUTHORIZED, "invalid or revoked credentials")

// Authenticate implements tldguard.AuthService.
func (s *Service) Authenticate(ctx context.Context, token string) (*tldguard.Principal, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, userTokenPrefix) && !strings.HasPrefix(token, reporterTokenPrefix) {
		return nil, errBadCredentials
	}
	hash := secretHash(token)
	now := s.now()
	if p, ok := s.tokens.get(hash, now); ok {
		return p, nil
	}
	var p *tldguard.Principal
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		t, err := tx.TokenByHash(hash)
		if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return errBadCredentials
		}
		if t.ReporterID != 0 {
			p, err = reporterPrincipal(tx, t.ReporterID)
		} else {
			p, err = userPrincipal(tx, t.UserID)
		}
		return err
	})
	if err == nil {
		s.tokens.put(hash, p, now)
	}
	return p, authErr(err)
}

// authErr hides why a credential failed: unknown, revoked and disabled all
// read the same to the caller.
func authErr(err error) error {
	switch tldguard.ErrorKind(err) {
	case "":
		return nil
	case tldguard.ENOTFOUND, tldguard.EUNAUTHORIZED:
		return errBadCredentials
	}
	return err
}

func reporterPrincipal(tx tldguard.Tx, id int64) (*tldguard.Principal, error) {
	r, err := tx.ReporterByID(id)
	if err != nil {
		return nil, err
	}
	if r.Disabled {
		return nil, errBadCredentials
	}
	role := tldguard.RoleReporter
	if r.Source == tldguard.SourceRegistrar {
		role = tldguard.RoleRegistrar
	}
	return &tldguard.Principal{Kind: tldguard.PrincipalReporter, ID: r.ID, Name: r.Name, Role: role, Reporter: r}, nil
}

func userPrincipal(tx tldguard.Tx, id int64) (*tldguard.Principal, error) {
	u, err := tx.UserByID(id)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errBadCredentials
	}
	return &tldguard.Principal{Kind: tldguard.PrincipalUser, ID: u.ID, Name: u.Email, Role: u.Role}, nil
}

// AuthenticateSession implements tldguard.AuthService.
func (s *Service) AuthenticateSession(ctx context.Context, session string) (*tldguard.Principal, error) {
	if !strings.HasPrefix(session, sessionPrefix) {
		return nil, errBadCredentials
	}
	now := s.clock()
	var p *tldguard.Principal
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		ss, err := tx.SessionByHash(secretHash(session))
		if err != nil {
			return err
		}
		if !now.Before(ss.ExpiresAt) {
			return errBadCredentials
		}
		if ss.ReporterID != 0 {
			p, err = reporterPrincipal(tx, ss.ReporterID)
		} else {
			p, err = userPrincipal(tx, ss.UserID)
		}
		return err
	})
	return p, authErr(err)
}

// Login implements tldguard.AuthService.
func (s *Service) Login(ctx context.Context, email, password string) (string, *tldguard.Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u *tldguard.User
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		u, err = tx.UserByEmail(email)
		return err
	})
	if err != nil && tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
		return "", nil, err
	}
	if u == nil {
		// Spend the same time as a real check, so timing does not tell
		// which addresses have accounts.
		checkPassword(dummyHash(), password)
		return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "wrong e-mail or password")
	}
	if !checkPassword(u.PasswordHash, password) || u.Disabled {
		return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "wrong e-mail or password")
	}
	secret := randomSecret(sessionPrefix)
	now := s.clock()
	p := &tldguard.Principal{Kind: tldguard.PrincipalUser, ID: u.ID, Name: u.Email, Role: u.Role}
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.CreateSession(&tldguard.Session{Hash: secretHash(secret), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}); err != nil {
			return err
		}
		return tx.AppendEvent(&tldguard.Event{At: now, Actor: p.Actor(), Action: "user.signed_in", Subject: "user:" + u.Email, Data: []byte("{}")})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, p, nil
}

// ReporterLogin opens a browser session for a reporter account (the
// reporter portal) in exchange for one of its API tokens: reporter accounts
// have tokens, not passwords, and the session lets a law-enforcement
// officer use the web form without keeping the token in the browser.
func (s *Service) ReporterLogin(ctx context.Context, token string) (string, *tldguard.Principal, error) {
	p, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", nil, err
	}
	if p.Kind != tldguard.PrincipalReporter {
		return "", nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "staff sign in with e-mail and password")
	}
	secret := randomSecret(sessionPrefix)
	now := s.clock()
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		if err := tx.CreateSession(&tldguard.Session{Hash: secretHash(secret), ReporterID: p.ID, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}); err != nil {
			return err
		}
		return tx.AppendEvent(&tldguard.Event{At: now, Actor: p.Actor(), Action: "reporter.signed_in", Subject: fmt.Sprintf("reporter:%d", p.ID), Data: []byte("{}")})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, p, nil
}

// dummyHash is checked against when no account matches; made on first use.
var dummyHash = sync.OnceValue(func() string { return hashPassword("tldguard-no-such-user") })

// Logout implements tldguard.AuthService.
func (s *Service) Logout(ctx context.Context, session string) error {
	now := s.clock()
	return s.store.Write(ctx, func(tx tldguard.Tx) error {
		ss, err := tx.SessionByHash(secretHash(session))
		if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ss.ID); err != nil {
			return err
		}
		return tx.AppendEvent(event(ctx, now, "user.signed_out", 0, "session", nil))
	})
}
