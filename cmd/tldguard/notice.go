package main

import (
	"context"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	tgmail "github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/metrics"
	"github.com/tldguard/tldguard/service"
)

// The outgoing notices (acknowledgements, outcomes, requests for
// evidence, referrals, clock alerts) and the clock check, beside the
// server. Without --smtp-relay no mail is sent (notices stay queued until
// a relay is configured); the clock check runs either way.

// noticeFlags are the outgoing mail's flags on serve and demo.
type noticeFlags struct {
	relay, from, alertTo, publicURL, templates, user, starttls string
}

// envSMTPPassword holds the relay password: never on the command line.
const envSMTPPassword = "TLDGUARD_SMTP_PASSWORD"

func (f *noticeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.relay, "smtp-relay", "", "send notices (acknowledgements, outcomes, referrals, alerts) through this SMTP relay HOST:PORT (off when empty)")
	fs.StringVar(&f.from, "mail-from", "", `the notices' From address, e.g. "NIC Abuse Desk <abuse@nic.example>" (required with --smtp-relay)`)
	fs.StringVar(&f.alertTo, "alert-to", "", "comma-separated operator addresses that get response-clock alerts (near the end, missed)")
	fs.StringVar(&f.publicURL, "public-url", "", "tldguard's base URL as reporters and registrars reach it, for the links in notices")
	fs.StringVar(&f.templates, "notice-templates", "", "directory of notice templates (ack.txt, outcome.txt, request_info.txt, referral.txt, alert.txt) replacing the built-in ones (default DATA/templates)")
	fs.StringVar(&f.user, "smtp-relay-user", "", "user name for AUTH PLAIN at the relay, password in $"+envSMTPPassword+"; sent over TLS only")
	fs.StringVar(&f.starttls, "smtp-relay-starttls", "opportunistic", "STARTTLS at the relay: opportunistic (when offered) or required")
}

// noticeConfig is the notices' part of a Config.
type noticeConfig struct {
	Relay, From, User, Password, StartTLS string
	AlertTo                               []string
	PublicURL                             string
	TemplateDir                           string
}

func (f *noticeFlags) config(dataDir string) *noticeConfig {
	c := &noticeConfig{Relay: f.relay, From: f.from, User: f.user, StartTLS: f.starttls,
		AlertTo: splitAddresses(f.alertTo), PublicURL: f.publicURL, TemplateDir: f.templates}
	if c.User != "" {
		c.Password = os.Getenv(envSMTPPassword)
	}
	if c.TemplateDir == "" && dataDir != "" {
		c.TemplateDir = filepath.Join(dataDir, "templates")
	}
	return c
}

// splitAddresses splits a comma-separated address list; unlike
// splitList it keeps "Name <addr>" whole.
func splitAddresses(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// notices is the running notifier.
type notices struct {
	notifier *service.Notifier
	sender   service.Mailer // nil without a relay
	stop     context.CancelFunc
	done     chan struct{}
}

// newNotices checks the notice configuration and templates (a bad one
// refuses the start) and registers the counters with the metrics.
func (m *Main) newNotices() error {
	c := m.Config.Notices
	if c == nil {
		c = &noticeConfig{}
	}
	cfg := service.NoticeConfig{From: c.From, AlertTo: c.AlertTo, PublicURL: c.PublicURL, TemplateDir: c.TemplateDir}
	if c.From != "" {
		a, err := mail.ParseAddress(c.From)
		if err != nil {
			return usagef("--mail-from %q is not an e-mail address", c.From)
		}
		cfg.Operator = a.Name
	}
	n, err := m.Service.Notifier(cfg)
	if err != nil {
		return fmt.Errorf("notices: %s", describe(err))
	}
	rt := &notices{notifier: n}
	if c.Relay != "" {
		if c.From == "" {
			return usagef("--smtp-relay needs --mail-from: the address notices come from")
		}
		if c.User != "" && c.Password == "" {
			return usagef("--smtp-relay-user needs the password in $%s", envSMTPPassword)
		}
		s, err := tgmail.NewSender(tgmail.SenderConfig{Addr: c.Relay, From: c.From, Username: c.User, Password: c.Password,
			StartTLS: tgmail.StartTLS(c.StartTLS), Now: m.Config.Now})
		if err != nil {
			return fmt.Errorf("notices: %s", describe(err))
		}
		rt.sender = s
	}
	if m.stats != nil && m.stats.registry != nil {
		m.stats.registry.Register("notices", metrics.CollectorFunc(func(_ context.Context, w *metrics.Writer) error {
			a, nc := n.ClockAlerts(), n.Counts()
			w.Family("tldguard_clock_alerts_total", "counter", "Response-clock alerts this process raised, by stage (near_end, missed).")
			w.Sample("tldguard_clock_alerts_total", float64(a.NearEnd), "stage", "near_end")
			w.Sample("tldguard_clock_alerts_total", float64(a.Missed), "stage", "missed")
			w.Family("tldguard_notices_total", "counter", "Notices this process delivered, by outcome (sent, retried, failed, withheld).")
			w.Sample("tldguard_notices_total", float64(nc.Sent), "outcome", "sent")
			w.Sample("tldguard_notices_total", float64(nc.Retried), "outcome", "retried")
			w.Sample("tldguard_notices_total", float64(nc.Failed), "outcome", "failed")
			w.Sample("tldguard_notices_total", float64(nc.Withheld), "outcome", "withheld")
			return nil
		}))
	}
	m.notices = rt
	return nil
}

// startNotices runs the notifier until stopNotices.
func (m *Main) startNotices() {
	rt := m.notices
	if rt == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	rt.stop, rt.done = cancel, make(chan struct{})
	if rt.sender != nil {
		m.Config.Logger.Info("tldguard sending notices", "relay", m.Config.Notices.Relay, "from", m.Config.Notices.From, "alert_to", m.Config.Notices.AlertTo)
	} else {
		m.Config.Logger.Info("no --smtp-relay: notices stay queued; response clocks are still checked")
	}
	go func() {
		defer close(rt.done)
		rt.notifier.RunNotices(ctx, rt.sender)
	}()
}

// stopNotices stops the notifier, letting the message in hand finish.
func (m *Main) stopNotices() {
	rt := m.notices
	if rt == nil || rt.stop == nil {
		return
	}
	rt.stop()
	select {
	case <-rt.done:
	case <-time.After(m.Config.ShutdownTimeout):
	}
}
