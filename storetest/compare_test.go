package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestDiff(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.UTC)
	stored := tldguard.Truncate(base)
	for _, tc := range []struct {
		name      string
		got, want any
		diff      string // a substring of the difference; "" for none
	}{
		{"same", &tldguard.User{ID: 1, Email: "a"}, &tldguard.User{ID: 1, Email: "a"}, ""},
		{"field", &tldguard.User{ID: 1, Email: "a"}, &tldguard.User{ID: 1, Email: "b"}, "Email"},
		{"truncated time", &tldguard.User{CreatedAt: stored}, &tldguard.User{CreatedAt: base.In(zone)}, ""},
		{"time off by a microsecond", &tldguard.User{CreatedAt: stored.Add(time.Microsecond)}, &tldguard.User{CreatedAt: base}, "CreatedAt"},
		{"time not in UTC", &tldguard.User{CreatedAt: stored.In(zone)}, &tldguard.User{CreatedAt: base}, "time.UTC"},
		{"zero time", &tldguard.Token{}, &tldguard.Token{}, ""},
		{"zero time lost", &tldguard.Token{RevokedAt: time.Unix(0, 0).UTC()}, &tldguard.Token{}, "RevokedAt"},
		{"nil and empty slice", &tldguard.Report{Targets: []tldguard.Target{}, Raw: []byte{}}, &tldguard.Report{}, ""},
		{"nil and empty map", &tldguard.ScanRun{ByFeed: map[string]int64{}}, &tldguard.ScanRun{}, ""},
		{"map entry", &tldguard.ScanRun{ByFeed: map[string]int64{"a": 1}}, &tldguard.ScanRun{ByFeed: map[string]int64{"a": 2}}, "ByFeed"},
		{"bytes", &tldguard.Report{Raw: []byte{1}}, &tldguard.Report{Raw: []byte{2}}, "Raw"},
		{"nil pointer", &tldguard.Reporter{}, &tldguard.Reporter{Verification: &tldguard.Verification{}}, "Verification"},
		{"slice item", []int64{1, 2}, []int64{1, 3}, "[1]"},
		{"slice length", []int64{1}, []int64{1, 3}, "1 items, want 2"},
	} {
		d := diff(tc.got, tc.want)
		switch {
		case tc.diff == "" && d != "":
			t.Errorf("%s: diff = %q, want none", tc.name, d)
		case tc.diff != "" && !strings.Contains(d, tc.diff):
			t.Errorf("%s: diff = %q, want one mentioning %q", tc.name, d, tc.diff)
		}
	}
}

func TestSeedCase(t *testing.T) {
	open, seen := 0, map[string]bool{}
	for i := range 1000 {
		c := SeedCase(i)
		if seen[c.Domain] {
			t.Fatalf("SeedCase(%d) repeats the domain %s", i, c.Domain)
		}
		seen[c.Domain] = true
		if c.Status == tldguard.StatusOpen {
			open++
		}
		if !c.ResponseDueAt.After(c.OpenedAt) || c.OpenedAt != tldguard.Truncate(c.OpenedAt) {
			t.Fatalf("SeedCase(%d) has bad times: %+v", i, c)
		}
	}
	if open != 200 {
		t.Errorf("%d of 1000 seeded cases are open, want 200", open)
	}
}
