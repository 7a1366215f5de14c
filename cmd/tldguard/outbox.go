package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/service"
)

// The outbox from the command line: the notices that could not be sent,
// and sending one again once what stopped it is put right.

func runNotices(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("notices", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"list":  noticesList,
		"retry": noticesRetry,
	})
}

func noticesList(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var status string
	var limit int
	var asJSON bool
	fs := newFlags("notices list", errOut)
	f.register(fs)
	fs.StringVar(&status, "status", string(tldguard.NoticeFailed), "failed, queued, sent, or all")
	fs.IntVar(&limit, "limit", 100, "at most this many, oldest first (1..1000)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if status == "all" {
		status = ""
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		ns, err := s.Notices(ctx, tldguard.NoticeStatus(status), limit)
		if err != nil {
			return err
		}
		if asJSON {
			type noticeJSON struct {
				ID        int64  `json:"id"`
				Kind      string `json:"kind"`
				Status    string `json:"status"`
				CaseID    int64  `json:"case_id,omitempty"`
				ReportID  int64  `json:"report_id,omitempty"`
				To        string `json:"to,omitempty"`
				CreatedAt string `json:"created_at"`
				SentAt    string `json:"sent_at,omitempty"`
				Attempts  int    `json:"attempts"`
				LastError string `json:"last_error,omitempty"`
			}
			list := make([]noticeJSON, len(ns))
			for i, n := range ns {
				list[i] = noticeJSON{ID: n.ID, Kind: string(n.Kind), Status: string(n.Status), CaseID: n.CaseID, ReportID: n.ReportID,
					To: n.To, CreatedAt: n.CreatedAt.UTC().Format(time.RFC3339), Attempts: n.Attempts, LastError: n.LastError}
				if !n.SentAt.IsZero() {
					list[i].SentAt = n.SentAt.UTC().Format(time.RFC3339)
				}
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"notices": list})
		}
		if len(ns) == 0 {
			fmt.Fprintf(out, "no %s notices\n", strings.TrimSpace(status+" "))
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tCASE\tTO\tCREATED\tATTEMPTS\tLAST ERROR")
		for _, n := range ns {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", n.ID, n.Kind, n.Status, caseRef(n.CaseID), n.To,
				n.CreatedAt.UTC().Format("2006-01-02 15:04Z"), n.Attempts, n.LastError)
		}
		return tw.Flush()
	})
}

func noticesRetry(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var id int64
	var reason string
	fs := newFlags("notices retry", errOut)
	f.register(fs)
	fs.Int64Var(&id, "id", 0, "the failed notice to send again (from notices list)")
	fs.StringVar(&reason, "reason", "", "why it is sent again, for the audit log (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if id <= 0 || strings.TrimSpace(reason) == "" {
		return usagef("--id and --reason are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		n, err := s.RetryNotice(ctx, id, reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "notice %d (%s to %s) queued again; the server sends it on its next round\n", n.ID, n.Kind, n.To)
		return nil
	})
}

// caseRef is a case's reference as the UI shows it, or "-".
func caseRef(id int64) string {
	if id == 0 {
		return "-"
	}
	return tldguard.CaseNumber(id)
}
