package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/tldguard/tldguard"
)

// Sessions and CSRF.
//
// POST /api/v1/session signs a staff member in: it sets the session cookie
// (HttpOnly, SameSite=Lax, Path=/, Secure when the request came over TLS)
// and returns the principal and the session's CSRF token. Every
// state-changing request (any method but GET, HEAD, OPTIONS) authenticated
// by the cookie must send that token in the X-CSRF-Token header, or it is
// refused with 403. Requests with an API token (Authorization: Bearer) need
// none: a browser never adds that header on its own.
//
// The CSRF token is HMAC-SHA256 keyed by the session value over a fixed
// label. It is bound to the session, needs no storage and no server secret
// (so it holds across nodes and restarts), and a page on another site cannot
// compute it: the session value is in an HttpOnly cookie it cannot read. The
// token does not reveal the session (HMAC is one-way) and differs from the
// session hash the store keeps. GET /api/v1/session returns it again, for a
// client that lost it.

const (
	sessionCookie = "tldguard_session"
	csrfHeader    = "X-CSRF-Token"
	csrfLabel     = "tldguard csrf v1"
)

// csrfToken returns the CSRF token of a session.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF reports whether r carries the CSRF token of session.
func validCSRF(r *http.Request, session string) bool {
	got := r.Header.Get(csrfHeader)
	return got != "" && hmac.Equal([]byte(got), []byte(csrfToken(session)))
}

// sessionJSON is the answer of the session routes.
type sessionJSON struct {
	Principal principalJSON `json:"principal"`
	// CSRFToken is set when the session cookie authenticates the caller.
	CSRFToken string `json:"csrf_token,omitempty"`
}

type principalJSON struct {
	Kind     tldguard.PrincipalKind `json:"kind"`
	ID       int64                  `json:"id"`
	Name     string                 `json:"name"`
	Role     tldguard.Role          `json:"role"`
	Actor    string                 `json:"actor"`
	Reporter *reporterJSON          `json:"reporter,omitempty"`
}

type reporterJSON struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Source      tldguard.Source `json:"source"`
	RegistrarID string          `json:"registrar_id,omitempty"`
	Verified    bool            `json:"verified"`
}

func toPrincipalJSON(p *tldguard.Principal) principalJSON {
	out := principalJSON{Kind: p.Kind, ID: p.ID, Name: p.Name, Role: p.Role, Actor: p.Actor()}
	if rp := p.Reporter; rp != nil {
		out.Reporter = &reporterJSON{ID: rp.ID, Name: rp.Name, Source: rp.Source, RegistrarID: rp.RegistrarID, Verified: rp.Verified()}
	}
	return out
}

// loginRequest is the body of POST /api/v1/session.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// handleLogin answers POST /api/v1/session: 200 with the principal and the
// CSRF token, and the session cookie. Wrong credentials are 401.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Email == "":
		return tldguard.FieldErrorf(tldguard.EINVALID, "email", "required")
	case len(req.Email) > 254:
		return tldguard.FieldErrorf(tldguard.EINVALID, "email", "longer than 254 characters")
	case req.Password == "":
		return tldguard.FieldErrorf(tldguard.EINVALID, "password", "required")
	case len(req.Password) > 1024:
		return tldguard.FieldErrorf(tldguard.EINVALID, "password", "longer than 1024 bytes")
	}
	session, p, err := s.svc.Auth.Login(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	if session == "" || p == nil {
		return tldguard.Errorf(tldguard.EINTERNAL, "Login returned no session")
	}
	if info := infoFrom(r.Context()); info != nil {
		info.principal = p.Actor()
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    session,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.overTLS(r),
		SameSite: http.SameSiteLaxMode,
	})
	return s.writeJSON(w, http.StatusOK, sessionJSON{Principal: toPrincipalJSON(p), CSRFToken: csrfToken(session)})
}

// handleSession answers GET /api/v1/session: who the caller is, and the
// CSRF token when a session cookie authenticated it.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) error {
	out := sessionJSON{Principal: toPrincipalJSON(tldguard.FromContext(r.Context()))}
	if c := credentialFrom(r.Context()); c.session != "" {
		out.CSRFToken = csrfToken(c.session)
	}
	return s.writeJSON(w, http.StatusOK, out)
}

// handleLogout answers DELETE /api/v1/session: it ends the session of the
// cookie (which needs its CSRF token, like any change made by cookie) and
// clears the cookie; 204. Without a cookie there is nothing to end, also 204.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if !validCSRF(r, c.Value) {
		return tldguard.FieldErrorf(tldguard.EFORBIDDEN, csrfHeader, "signing out needs the session's CSRF token in the %s header", csrfHeader)
	}
	// The audit event names who signed out, when the session still says.
	ctx := r.Context()
	if p, err := s.svc.Auth.AuthenticateSession(ctx, c.Value); err == nil && p != nil {
		ctx = tldguard.NewContext(ctx, p)
		if info := infoFrom(ctx); info != nil {
			info.principal = p.Actor()
		}
	}
	if err := s.svc.Auth.Logout(ctx, c.Value); err != nil {
		if k := tldguard.ErrorKind(err); k != tldguard.ENOTFOUND && k != tldguard.EUNAUTHORIZED {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.overTLS(r),
		SameSite: http.SameSiteLaxMode,
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
