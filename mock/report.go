package mock

import (
	"context"

	"github.com/tldguard/tldguard"
)

var _ tldguard.ReportService = (*ReportService)(nil)

// ReportService is a tldguard.ReportService made of function fields.
type ReportService struct {
	SubmitReportFn func(ctx context.Context, s *tldguard.Submission) (*tldguard.Receipt, error)
	ReportFn       func(ctx context.Context, id int64) (*tldguard.Report, error)
	ReportsFn      func(ctx context.Context, f tldguard.ReportFilter) ([]*tldguard.Report, error)
}

// SubmitReport calls SubmitReportFn.
func (m *ReportService) SubmitReport(ctx context.Context, s *tldguard.Submission) (*tldguard.Receipt, error) {
	if m.SubmitReportFn == nil {
		unset("ReportService.SubmitReport")
	}
	return m.SubmitReportFn(ctx, s)
}

// Report calls ReportFn.
func (m *ReportService) Report(ctx context.Context, id int64) (*tldguard.Report, error) {
	if m.ReportFn == nil {
		unset("ReportService.Report")
	}
	return m.ReportFn(ctx, id)
}

// Reports calls ReportsFn.
func (m *ReportService) Reports(ctx context.Context, f tldguard.ReportFilter) ([]*tldguard.Report, error) {
	if m.ReportsFn == nil {
		unset("ReportService.Reports")
	}
	return m.ReportsFn(ctx, f)
}
