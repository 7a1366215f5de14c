package stats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/tldguard/tldguard"
)

// leaseName is the lease that keeps the snapshots to one node at a time.
const leaseName = "stats-snapshot"

// snapshotAction is the audit event written with each snapshot.
const snapshotAction = "stats.snapshot"

func defaultHolder() string {
	h, _ := os.Hostname()
	return h + ":" + strconv.Itoa(os.Getpid())
}

// Snapshot computes the report of a month that has ended, for tld ("" for
// every TLD), with its per-domain detail, and stores it as JSON with its
// SHA-256 written into the audit chain in the same transaction. Only an
// admin (or the system: the CLI, the scheduler) may take one. Errors:
// EINVALID (not a month, or not over yet, naming "period"), ECONFLICT (the
// month's snapshot exists: snapshots are never replaced).
func (s *Service) Snapshot(ctx context.Context, month Period, tld string) (*tldguard.StatsSnapshot, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	now := s.clock()
	switch {
	case month.Kind != KindMonth:
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "period", "snapshots are taken of calendar months (2026-10), not of %q", month.Label)
	case now.Before(month.To):
		return nil, tldguard.FieldErrorf(tldguard.EINVALID, "period", "%s is not over yet; its snapshot can be taken from %s", month.Label, month.To.Format(time.RFC3339))
	}
	var rep *Report
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		rep, err = s.compute(tx, Query{Period: month, TLD: tld, Detail: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.GeneratedAt = now
	body, err := EncodeJSON(rep)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	snap := &tldguard.StatsSnapshot{
		Period: month.Label, TLD: rep.TLD, From: month.From, To: month.To, CreatedAt: now,
		KeepUntil: s.policy.KeepUntil(month.To), Report: body, SHA256: sum[:],
	}
	subject := "stats:" + month.Label
	if rep.TLD != "" {
		subject += ":" + rep.TLD
	}
	err = s.store.Write(ctx, func(tx tldguard.Tx) error {
		snap.ID, snap.EventSeq = 0, 0
		if _, err := tx.StatsSnapshot(snap.Period, snap.TLD); err == nil {
			return tldguard.Errorf(tldguard.ECONFLICT, "the snapshot of %s (%s) is already stored; snapshots are never replaced", snap.Period, scopeName(snap.TLD))
		} else if tldguard.ErrorKind(err) != tldguard.ENOTFOUND {
			return err
		}
		data, err := json.Marshal(map[string]any{
			"period": snap.Period, "tld": snap.TLD, "from": snap.From, "to": snap.To,
			"sha256": hex.EncodeToString(snap.SHA256), "bytes": len(body), "keep_until": snap.KeepUntil,
		})
		if err != nil {
			return tldguard.Internal(err, "encode snapshot event")
		}
		e := &tldguard.Event{At: now, Actor: tldguard.FromContext(ctx).Actor(), Action: snapshotAction, Subject: subject, Data: data}
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		snap.EventSeq = e.Seq
		return tx.InsertStatsSnapshot(snap)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("stats: snapshot stored", "period", snap.Period, "tld", snap.TLD, "sha256", hex.EncodeToString(snap.SHA256), "event", snap.EventSeq)
	return snap, nil
}

func scopeName(tld string) string {
	if tld == "" {
		return "every TLD"
	}
	return "." + tld
}

// EncodeJSON is the report's JSON as stored in snapshots and served: one
// object and a newline. encoding/json writes struct fields in order and map
// keys sorted, so the same report always encodes to the same bytes.
func EncodeJSON(r *Report) ([]byte, error) {
	summary := *r
	summary.Detail = nil
	b, err := json.Marshal(&summary)
	if err != nil {
		return nil, tldguard.Internal(err, "encode statistics report")
	}
	if len(r.Detail) == 0 { // omitted, as omitempty has it
		return append(b, '\n'), nil
	}
	// Detail is the last member: write it by hand (detailjson.go) before
	// the closing brace.
	out := make([]byte, 0, len(b)+len(r.Detail)*700)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"detail":`...)
	out = appendDetails(out, r.Detail)
	return append(out, '}', '\n'), nil
}

// Snapshots lists the stored snapshots (without their reports), oldest
// month first. Staff only.
func (s *Service) Snapshots(ctx context.Context) ([]*tldguard.StatsSnapshot, error) {
	if _, err := require(ctx, readers...); err != nil {
		return nil, err
	}
	var out []*tldguard.StatsSnapshot
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		out, err = tx.ListStatsSnapshots()
		return err
	})
	return out, err
}

// StoredSnapshot returns one stored snapshot with its report. Staff only;
// ENOTFOUND when the month has none.
func (s *Service) StoredSnapshot(ctx context.Context, period, tld string) (*tldguard.StatsSnapshot, error) {
	if _, err := require(ctx, readers...); err != nil {
		return nil, err
	}
	var out *tldguard.StatsSnapshot
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		var err error
		out, err = tx.StatsSnapshot(period, tld)
		return err
	})
	if tldguard.ErrorKind(err) == tldguard.ENOTFOUND {
		return nil, tldguard.Errorf(tldguard.ENOTFOUND, "no snapshot of %s (%s) is stored", period, scopeName(tld))
	}
	return out, err
}

// Verification is the outcome of checking a snapshot.
type Verification struct {
	Period string `json:"period"`
	TLD    string `json:"tld"`
	SHA256 string `json:"sha256"`
	// Sealed is true when the stored report hashes to the stored SHA-256
	// and the audit event the snapshot names holds that same hash.
	Sealed bool `json:"sealed"`
	// Reproduced is true when the report re-run from the records now is
	// byte for byte the stored one (its generated_at aside).
	Reproduced bool `json:"reproduced"`
	// Differences names the figures that differ (JSON paths), first 50.
	Differences []string `json:"differences,omitempty"`
}

// Verify checks a stored snapshot: its seal (hash and audit event) and that
// re-running the month from the records gives its numbers. Staff only. The
// abuse rate's denominator is the registry's count when a report is
// computed, so registrations added or removed since the snapshot show as a
// difference in abuse_rate and tlds.
func (s *Service) Verify(ctx context.Context, period, tld string) (*Verification, error) {
	snap, err := s.StoredSnapshot(ctx, period, tld)
	if err != nil {
		return nil, err
	}
	v := &Verification{Period: snap.Period, TLD: snap.TLD, SHA256: hex.EncodeToString(snap.SHA256)}
	var stored Report
	if err := json.Unmarshal(snap.Report, &stored); err != nil {
		return nil, tldguard.Internal(err, "decode snapshot")
	}
	var rep *Report
	err = s.store.Read(ctx, func(tx tldguard.Tx) error {
		sum := sha256.Sum256(snap.Report)
		hashed := bytes.Equal(sum[:], snap.SHA256)
		err := tx.ScanEvents(snap.EventSeq-1, func(e *tldguard.Event) error {
			var data struct {
				SHA256 string `json:"sha256"`
			}
			if e.Seq == snap.EventSeq && e.Action == snapshotAction && json.Unmarshal(e.Data, &data) == nil {
				v.Sealed = hashed && data.SHA256 == v.SHA256
			}
			return errDone
		})
		if err != nil && !errors.Is(err, errDone) {
			return err
		}
		rep, err = s.compute(tx, Query{Period: stored.Period, TLD: snap.TLD, Detail: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.GeneratedAt = stored.GeneratedAt
	body, err := EncodeJSON(rep)
	if err != nil {
		return nil, err
	}
	v.Reproduced = bytes.Equal(body, snap.Report)
	if !v.Reproduced {
		var a, b any
		json.Unmarshal(snap.Report, &a)
		json.Unmarshal(body, &b)
		v.Differences = jsonDiff("", a, b, nil)
	}
	return v, nil
}

var errDone = errors.New("done")

// jsonDiff lists the paths where two decoded JSON documents differ.
func jsonDiff(path string, a, b any, out []string) []string {
	if len(out) >= 50 {
		return out
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return append(out, path)
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			out = jsonDiff(path+"."+k, av[k], bv[k], out)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return append(out, path)
		}
		for i := range av {
			out = jsonDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return append(out, path)
	}
	return out
}

// due lists the (month, TLD) snapshots that should exist at now and do
// not: every month from the one of the first audit event to the last one
// over for at least the grace period, for every TLD and for all of them.
func (s *Service) due(ctx context.Context, now time.Time) ([]Period, [][]string, error) {
	var first time.Time
	var tlds []string
	have := map[string]bool{}
	err := s.store.Read(ctx, func(tx tldguard.Tx) error {
		err := tx.ScanEvents(0, func(e *tldguard.Event) error {
			first = e.At
			return errDone
		})
		if err != nil && !errors.Is(err, errDone) {
			return err
		}
		if tlds, err = tx.TLDs(); err != nil {
			return err
		}
		snaps, err := tx.ListStatsSnapshots()
		for _, sn := range snaps {
			have[sn.Period+"/"+sn.TLD] = true
		}
		return err
	})
	if err != nil || first.IsZero() {
		return nil, nil, err
	}
	scopes := append([]string{""}, tlds...)
	var months []Period
	var missing [][]string
	const maxMonths = 1200
	for m := Month(first); !now.Before(m.To.Add(s.cfg.Grace)) && len(months) < maxMonths; m = Month(m.To) {
		var todo []string
		for _, t := range scopes {
			if !have[m.Label+"/"+t] {
				todo = append(todo, t)
			}
		}
		if len(todo) > 0 {
			months = append(months, m)
			missing = append(missing, todo)
		}
	}
	return months, missing, nil
}

// SnapshotDue takes every snapshot that is due and missing (months missed
// while no server ran included), holding the "stats-snapshot" lease so
// that one node does it. It returns the snapshots it stored; another
// node's lease makes it return none.
func (s *Service) SnapshotDue(ctx context.Context) ([]*tldguard.StatsSnapshot, error) {
	if _, err := require(ctx, tldguard.RoleAdmin); err != nil {
		return nil, err
	}
	now := s.clock()
	months, missing, err := s.due(ctx, now)
	if err != nil || len(months) == 0 {
		return nil, err
	}
	lease := func() (bool, error) {
		var ok bool
		err := s.store.Write(ctx, func(tx tldguard.Tx) error {
			var err error
			ok, err = tx.AcquireLease(leaseName, s.cfg.Holder, s.clock(), s.clock().Add(30*time.Minute))
			return err
		})
		return ok, err
	}
	if ok, err := lease(); err != nil || !ok {
		return nil, err
	}
	defer func() {
		err := s.store.Write(context.WithoutCancel(ctx), func(tx tldguard.Tx) error {
			return tx.ReleaseLease(leaseName, s.cfg.Holder)
		})
		if err != nil {
			s.log.Warn("stats: releasing the snapshot lease", "err", err)
		}
	}()
	var made []*tldguard.StatsSnapshot
	for i, m := range months {
		if ok, err := lease(); err != nil || !ok { // renew; stop if lost
			return made, err
		}
		for _, t := range missing[i] {
			snap, err := s.Snapshot(ctx, m, t)
			switch tldguard.ErrorKind(err) {
			case "":
				made = append(made, snap)
			case tldguard.ECONFLICT: // another node took it after all
			default:
				return made, err
			}
		}
	}
	return made, nil
}

// Schedule takes the due snapshots at once (the months missed while no
// server ran) and then every interval (default 10 minutes) until ctx ends.
// Failures are logged and retried at the next tick.
func (s *Service) Schedule(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	ctx = tldguard.System(ctx, "scheduler")
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		made, err := s.SnapshotDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("stats: monthly snapshot failed; retrying at the next tick", "err", err)
		}
		if len(made) > 0 {
			periods := make([]string, 0, len(made))
			for _, m := range made {
				if !slices.Contains(periods, m.Period) {
					periods = append(periods, m.Period)
				}
			}
			s.log.Info("stats: monthly snapshots taken", "count", len(made), "periods", periods)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
