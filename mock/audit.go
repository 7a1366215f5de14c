package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.AuditService = (*AuditService)(nil)

// AuditService is a tldguard.AuditService made of function fields.
type AuditService struct {
	VerifyChainFn func(ctx context.Context, exported *tldguard.ChainHead) (*tldguard.ChainReport, error)
	ChainHeadFn   func(ctx context.Context) (tldguard.ChainHead, error)
}

// VerifyChain calls VerifyChainFn.
func (m *AuditService) VerifyChain(ctx context.Context, exported *tldguard.ChainHead) (*tldguard.ChainReport, error) {
	if m.VerifyChainFn == nil {
		unset("AuditService.VerifyChain")
	}
	return m.VerifyChainFn(ctx, exported)
}

// ChainHead calls ChainHeadFn.
func (m *AuditService) ChainHead(ctx context.Context) (tldguard.ChainHead, error) {
	if m.ChainHeadFn == nil {
		unset("AuditService.ChainHead")
	}
	return m.ChainHeadFn(ctx)
}
