package mock_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/mock"
)

func TestActionServiceFields(t *testing.T) {
	var gotID int64
	var gotIn tldguard.ActionInput
	m := &mock.ActionService{ProposeActionFn: func(_ context.Context, id int64, in tldguard.ActionInput) (*tldguard.Action, error) {
		gotID, gotIn = id, in
		return &tldguard.Action{ID: 9, CaseID: id, Kind: in.Kind}, nil
	}}
	a, err := m.ProposeAction(context.Background(), 42, tldguard.ActionInput{Kind: tldguard.ActionHold, Reason: "kit"})
	if err != nil || a.ID != 9 || gotID != 42 || gotIn.Reason != "kit" {
		t.Fatalf("ProposeAction = %+v, %v; field saw %d %+v", a, err, gotID, gotIn)
	}
	defer func() {
		if s, _ := recover().(string); !strings.Contains(s, "ActionService.Referrals") {
			t.Fatalf("panic = %q, want one naming ActionService.Referrals", s)
		}
	}()
	_, _ = m.Referrals(context.Background())
}
