package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.CaseService = (*CaseService)(nil)

// CaseService is a tldguard.CaseService made of function fields.
type CaseService struct {
	CasesFn      func(ctx context.Context, f tldguard.CaseFilter) (*tldguard.CasePage, error)
	CaseFn       func(ctx context.Context, id int64) (*tldguard.CaseDetail, error)
	UpdateCaseFn func(ctx context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error)
}

// Cases calls CasesFn.
func (m *CaseService) Cases(ctx context.Context, f tldguard.CaseFilter) (*tldguard.CasePage, error) {
	if m.CasesFn == nil {
		unset("CaseService.Cases")
	}
	return m.CasesFn(ctx, f)
}

// Case calls CaseFn.
func (m *CaseService) Case(ctx context.Context, id int64) (*tldguard.CaseDetail, error) {
	if m.CaseFn == nil {
		unset("CaseService.Case")
	}
	return m.CaseFn(ctx, id)
}

// UpdateCase calls UpdateCaseFn.
func (m *CaseService) UpdateCase(ctx context.Context, id int64, u tldguard.CaseUpdate) (*tldguard.Case, error) {
	if m.UpdateCaseFn == nil {
		unset("CaseService.UpdateCase")
	}
	return m.UpdateCaseFn(ctx, id, u)
}
