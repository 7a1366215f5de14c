package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/smtptest"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// TestServeSendsNotices: with --smtp-relay the server acknowledges a
// report by mail, and the metrics count it.
func TestServeSendsNotices(t *testing.T) {
	store := testdb.SQLite(t)
	ctx := tldguard.System(context.Background(), "test")
	setup := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	if _, err := setup.AddTLD(ctx, "example"); err != nil {
		t.Fatal(err)
	}
	_, token, err := setup.CreateReporter(ctx, service.ReporterInput{Name: "Hunters", Source: tldguard.SourceTrustedNotifier, Email: "reports@hunters.example"})
	if err != nil {
		t.Fatal(err)
	}
	setup.Close()
	relay := smtptest.Start(t, smtptest.Options{})
	m := &Main{Config: Config{Store: store.(engine), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
		Notices: &noticeConfig{Relay: relay.Addr, From: "NIC Abuse Desk <abuse@nic.example>", AlertTo: []string{"soc@nic.example"}, StartTLS: "opportunistic"}}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	req, _ := http.NewRequest("POST", "http://"+m.Addr().String()+"/api/v1/reports", strings.NewReader(`{"threat_type":"phishing","names":["login.bad.example"]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("report: %v %v", resp, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(15 * time.Second)
	for len(relay.Messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ms := relay.Messages()
	if len(ms) != 1 || ms[0].To[0] != "reports@hunters.example" || !strings.Contains(string(ms[0].Data), "Subject: Report 1 received: TG-0000001") {
		t.Fatalf("relay got %+v", ms)
	}
	resp, err = http.Get("http://" + m.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tldguard_notices_total{outcome="sent"} 1`, `tldguard_clock_alerts_total{stage="missed"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestServeRefusesBadNoticeConfig: a broken template or an incomplete
// relay configuration refuses the start with a clear error.
func TestServeRefusesBadNoticeConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ack.txt"), []byte("Subject: {{.ReportID}\n\nx\n"), 0o600)
	for _, tt := range []struct {
		cfg  *noticeConfig
		want string
	}{
		{&noticeConfig{TemplateDir: dir}, "ack.txt"},
		{&noticeConfig{Relay: "127.0.0.1:25"}, "--mail-from"},
		{&noticeConfig{Relay: "127.0.0.1:25", From: "abuse@nic.example", User: "u"}, envSMTPPassword},
		{&noticeConfig{AlertTo: []string{"not an address"}}, "alert_to"},
	} {
		m := &Main{Config: Config{Store: testdb.SQLite(t).(engine), Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Notices: tt.cfg}}
		err := m.Run(context.Background())
		if err == nil {
			m.Close()
			t.Errorf("%+v: started", tt.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want it to name %q", tt.cfg, err, tt.want)
		}
	}
}
