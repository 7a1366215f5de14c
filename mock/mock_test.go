package mock_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/mock"
)

func TestFieldIsCalled(t *testing.T) {
	var got int64
	m := &mock.CaseService{CaseFn: func(_ context.Context, id int64) (*tldguard.CaseDetail, error) {
		got = id
		return &tldguard.CaseDetail{Case: &tldguard.Case{ID: id}}, nil
	}}
	d, err := m.Case(context.Background(), 42)
	if err != nil || got != 42 || d.Case.ID != 42 {
		t.Fatalf("Case(42) = %v, %v; field saw %d", d, err, got)
	}
}

func TestUnsetFieldPanicsWithName(t *testing.T) {
	defer func() {
		r := recover()
		s, _ := r.(string)
		if !strings.Contains(s, "AuthService.Logout") {
			t.Fatalf("panic = %v, want one naming AuthService.Logout", r)
		}
	}()
	var m mock.AuthService
	_ = m.Logout(context.Background(), "x")
}
