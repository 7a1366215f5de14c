package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.AuthService = (*AuthService)(nil)

// AuthService is a tldguard.AuthService made of function fields.
type AuthService struct {
	AuthenticateFn        func(ctx context.Context, token string) (*tldguard.Principal, error)
	AuthenticateSessionFn func(ctx context.Context, session string) (*tldguard.Principal, error)
	LoginFn               func(ctx context.Context, email, password string) (string, *tldguard.Principal, error)
	LogoutFn              func(ctx context.Context, session string) error
}

// Authenticate calls AuthenticateFn.
func (m *AuthService) Authenticate(ctx context.Context, token string) (*tldguard.Principal, error) {
	if m.AuthenticateFn == nil {
		unset("AuthService.Authenticate")
	}
	return m.AuthenticateFn(ctx, token)
}

// AuthenticateSession calls AuthenticateSessionFn.
func (m *AuthService) AuthenticateSession(ctx context.Context, session string) (*tldguard.Principal, error) {
	if m.AuthenticateSessionFn == nil {
		unset("AuthService.AuthenticateSession")
	}
	return m.AuthenticateSessionFn(ctx, session)
}

// Login calls LoginFn.
func (m *AuthService) Login(ctx context.Context, email, password string) (string, *tldguard.Principal, error) {
	if m.LoginFn == nil {
		unset("AuthService.Login")
	}
	return m.LoginFn(ctx, email, password)
}

// Logout calls LogoutFn.
func (m *AuthService) Logout(ctx context.Context, session string) error {
	if m.LogoutFn == nil {
		unset("AuthService.Logout")
	}
	return m.LogoutFn(ctx, session)
}
