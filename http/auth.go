package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/tldguard/tldguard"
)

// credential is how a request proved who it is: an API token or a session
// cookie. Its secret never reaches a log.
type credential struct {
	token   string // from Authorization: Bearer
	session string // from the session cookie
}

// key names the credential's rate-limit bucket by a hash, so the limiter
// holds no secrets.
func (c credential) key() string {
	kind, secret := "t:", c.token
	if c.session != "" {
		kind, secret = "s:", c.session
	}
	sum := sha256.Sum256([]byte(secret))
	return kind + hex.EncodeToString(sum[:16])
}

type credentialKey struct{}

func withCredential(ctx context.Context, c credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// credentialFrom returns the credential that authenticated the request.
func credentialFrom(ctx context.Context) credential {
	c, _ := ctx.Value(credentialKey{}).(credential)
	return c
}

// errNoCredentials is the answer to a request that brings none.
var errNoCredentials = tldguard.Errorf(tldguard.EUNAUTHORIZED,
	"sign in: send an API token as Authorization: Bearer <token>, or the %s cookie from POST /api/v1/session", sessionCookie)

// authenticate resolves the request's credential to a principal. A bearer
// token wins over the cookie: a client that sends one means it. The
// principal is also recorded for the request log.
func (s *Server) authenticate(r *http.Request) (credential, *tldguard.Principal, error) {
	var (
		cred credential
		p    *tldguard.Principal
		err  error
	)
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return cred, nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
		}
		cred.token = token
		p, err = s.svc.Auth.Authenticate(r.Context(), token)
	} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
		cred.session = c.Value
		p, err = s.svc.Auth.AuthenticateSession(r.Context(), c.Value)
	} else {
		return cred, nil, errNoCredentials
	}
	if err != nil {
		return cred, nil, err
	}
	if p == nil {
		return cred, nil, tldguard.Errorf(tldguard.EUNAUTHORIZED, "unknown credentials")
	}
	if info := infoFrom(r.Context()); info != nil {
		info.principal = p.Actor()
	}
	return cred, p, nil
}

// clientIP is the address the request came from: the peer, or behind a
// trusted proxy the last address the proxy appended to X-Forwarded-For.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// overTLS reports whether the client reached us over TLS.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// addrKey names a client address's rate-limit bucket. An IPv6 client gets
// one bucket per /64, the block a single subscriber usually holds, so it
// cannot dodge the limit by hopping addresses.
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap()
	if a.Is4() {
		return "ip:" + a.String()
	}
	p, _ := a.Prefix(64)
	return "ip:" + p.String()
}
