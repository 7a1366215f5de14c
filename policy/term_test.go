package policy

import (
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

// TestTerm: reports are kept ten years by default, and the term must be a
// sensible number of whole years.
func TestTerm(t *testing.T) {
	p := Default()
	if p.Term != 10 {
		t.Errorf("default term %d years, want 10", p.Term)
	}
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if got := p.KeepUntil(end); !got.Equal(time.Date(2036, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("KeepUntil = %s", got)
	}
	for _, term := range []int{0, -1, 101} {
		p := Default()
		p.Term = term
		if err := p.Validate(); tldguard.ErrorField(err) != "term" {
			t.Errorf("term %d: %v, want an error naming term", term, err)
		}
	}
}
