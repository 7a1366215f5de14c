package tldguard_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func chain(n int) []*tldguard.Event {
	var out []*tldguard.Event
	var prevSeq int64
	var prev []byte
	for i := 0; i < n; i++ {
		e := &tldguard.Event{At: time.Date(2026, 11, 2, 9, 0, i, 123456789, time.UTC), Actor: "user:a@nic.example", Action: "case.updated", CaseID: int64(i), Subject: "case:1", Data: []byte(`{"k":1}`)}
		e.Seal(prevSeq, prev)
		prevSeq, prev = e.Seq, e.Hash
		out = append(out, e)
	}
	return out
}

func TestEventHashCoversEveryField(t *testing.T) {
	base := chain(2)[1]
	want := base.ComputeHash()
	if !bytes.Equal(want, base.Hash) || base.At.Nanosecond()%1000 != 0 {
		t.Fatal("Seal must truncate the time and set the hash")
	}
	mutations := map[string]func(e *tldguard.Event){
		"seq":       func(e *tldguard.Event) { e.Seq++ },
		"at":        func(e *tldguard.Event) { e.At = e.At.Add(time.Microsecond) },
		"actor":     func(e *tldguard.Event) { e.Actor = "user:b@nic.example" },
		"action":    func(e *tldguard.Event) { e.Action = "case.opened" },
		"case":      func(e *tldguard.Event) { e.CaseID++ },
		"subject":   func(e *tldguard.Event) { e.Subject = "case:2" },
		"data":      func(e *tldguard.Event) { e.Data = []byte(`{"k":2}`) },
		"prev hash": func(e *tldguard.Event) { e.PrevHash = tldguard.ZeroHash },
		// Moving bytes between fields must change the hash too.
		"field boundary": func(e *tldguard.Event) { e.Actor, e.Action = e.Actor+"c", strings.TrimPrefix(e.Action, "c") },
	}
	for name, mutate := range mutations {
		e := *base
		mutate(&e)
		if bytes.Equal(e.ComputeHash(), want) {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestChainVerifier(t *testing.T) {
	verify := func(events []*tldguard.Event, stored tldguard.ChainHead, exported *tldguard.ChainHead) *tldguard.ChainVerifier {
		var v tldguard.ChainVerifier
		for _, e := range events {
			if exported != nil {
				v.CheckAnchor(e, *exported)
			}
			if !v.Add(e) {
				break
			}
		}
		v.Finish(stored, exported)
		return &v
	}
	good := chain(5)
	head := tldguard.ChainHead{Seq: 5, Hash: good[4].Hash}
	if v := verify(good, head, nil); v.Broken != "" {
		t.Fatalf("intact chain: %s", v.Broken)
	}
	if v := verify(nil, tldguard.ChainHead{}, nil); v.Broken != "" {
		t.Fatalf("empty chain: %s", v.Broken)
	}

	tests := []struct {
		name    string
		events  func() []*tldguard.Event
		stored  tldguard.ChainHead
		at      int64
		message string
	}{
		{"altered content", func() []*tldguard.Event { c := chain(5); c[2].Actor = "mallory"; return c }, head, 3, "altered"},
		{"missing event", func() []*tldguard.Event { c := chain(5); return append(c[:1:1], c[2:]...) }, head, 2, "missing"},
		{"missing tail", func() []*tldguard.Event { return chain(5)[:3] }, head, 4, "missing"},
		{"resealed event", func() []*tldguard.Event {
			c := chain(5)
			c[1].Actor = "mallory"
			c[1].Hash = c[1].ComputeHash()
			return c
		}, head, 3, "does not link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verify(tt.events(), tt.stored, nil)
			if v.BrokenSeq != tt.at || !strings.Contains(v.Broken, tt.message) {
				t.Errorf("broken at %d (%q), want %d (%q)", v.BrokenSeq, v.Broken, tt.at, tt.message)
			}
		})
	}

	// A consistent rewrite passes alone but not against an exported head.
	rewritten := chain(5)
	rewritten[1].Actor = "mallory"
	for i := 1; i < 5; i++ {
		rewritten[i].Seal(rewritten[i-1].Seq, rewritten[i-1].Hash)
	}
	newHead := tldguard.ChainHead{Seq: 5, Hash: rewritten[4].Hash}
	if v := verify(rewritten, newHead, nil); v.Broken != "" {
		t.Fatalf("a consistent rewrite should verify alone: %s", v.Broken)
	}
	anchor := tldguard.ChainHead{Seq: 3, Hash: good[2].Hash}
	if v := verify(rewritten, newHead, &anchor); v.BrokenSeq != 3 || !strings.Contains(v.Broken, "rewritten") {
		t.Errorf("rewrite against exported head: %d %q", v.BrokenSeq, v.Broken)
	}
	beyond := tldguard.ChainHead{Seq: 9, Hash: good[4].Hash}
	if v := verify(good, head, &beyond); v.Broken == "" {
		t.Error("an exported head beyond the log should fail")
	}
}

func TestChainHeadText(t *testing.T) {
	h := tldguard.ChainHead{Seq: 42, Hash: chain(1)[0].Hash}
	got, err := tldguard.ParseChainHead(h.String())
	if err != nil || got.Seq != 42 || !bytes.Equal(got.Hash, h.Hash) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{"", "42", ":ab", "x:ab", "-1:" + strings.Repeat("00", 32), "1:zz", "1:abcd"} {
		if _, err := tldguard.ParseChainHead(bad); tldguard.ErrorKind(err) != tldguard.EINVALID {
			t.Errorf("ParseChainHead(%q): %v", bad, err)
		}
	}
}

func TestCaseNumberAndCursor(t *testing.T) {
	for in, want := range map[string]int64{"TG-0000042": 42, "tg-42": 42, " 7 ": 7} {
		if got, err := tldguard.ParseCaseNumber(in); err != nil || got != want {
			t.Errorf("ParseCaseNumber(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "TG-", "TG-x", "0", "-3", "TX-5"} {
		if _, err := tldguard.ParseCaseNumber(bad); err == nil {
			t.Errorf("ParseCaseNumber(%q) accepted", bad)
		}
	}
	if tldguard.CaseNumber(42) != "TG-0000042" {
		t.Error(tldguard.CaseNumber(42))
	}
	c := &tldguard.Case{ID: 99, ResponseDueAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)}
	cur := tldguard.CursorFor(c, tldguard.SortDue)
	got, err := tldguard.ParseCaseCursor(cur.String())
	if err != nil || got.ID != 99 || !got.Key.Equal(c.ResponseDueAt) {
		t.Errorf("cursor round trip: %+v %v", got, err)
	}
	for _, bad := range []string{"", "abc", "1.", ".1", "1.0", "!.1"} {
		if _, err := tldguard.ParseCaseCursor(bad); tldguard.ErrorField(err) != "cursor" {
			t.Errorf("ParseCaseCursor(%q): %v", bad, err)
		}
	}
}
