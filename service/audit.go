package service

import (
	"context"
	"encoding/hex"

	"github.com/tldguard/tldguard"
)

// VerifyChain implements tldguard.AuditService. It streams the log in one
// read transaction, keeping only the previous hash in memory.
func (s *Service) VerifyChain(ctx context.Context, exported *tldguard.ChainHead) (*tldguard.ChainReport, error) {
	if _, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAuditor); err != nil {
		return nil, err
	}
	var v tldguard.ChainVerifier
	var head tldguard.ChainHead
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		stored, err := tx.ChainHead()
		if err != nil {
			return err
		}
		err = tx.ScanEvents(0, func(e *tldguard.Event) error {
			if exported != nil {
				v.CheckAnchor(e, *exported)
			}
			if !v.Add(e) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			return err
		}
		head = v.Finish(stored, exported)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &tldguard.ChainReport{OK: v.Broken == "", Events: head.Seq, Head: head.String(), Broken: v.Broken, BrokenAt: v.BrokenSeq}
	if head.Seq == 0 {
		rep.Head = "0:" + hex.EncodeToString(tldguard.ZeroHash)
	}
	return rep, nil
}

// errStop ends a scan early without being an error.
var errStop = tldguard.Errorf(tldguard.EINTERNAL, "stop")

// ChainHead implements tldguard.AuditService.
func (s *Service) ChainHead(ctx context.Context) (tldguard.ChainHead, error) {
	if _, err := require(ctx, tldguard.RoleAdmin, tldguard.RoleAuditor); err != nil {
		return tldguard.ChainHead{}, err
	}
	var h tldguard.ChainHead
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		h, err = tx.ChainHead()
		return err
	})
	return h, err
}
