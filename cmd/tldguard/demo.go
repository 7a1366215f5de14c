package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// demoTLD is reserved for documentation (RFC 2606), so demo data can never
// be mistaken for a real registration.
const demoTLD = "example"

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f serveFlags
	var names int
	fs := newFlags("demo", errOut)
	f.register(fs)
	fs.IntVar(&names, "names", 3000, "how many sample registrations to create on first run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.data == "" && f.db == "" {
		f.data = "tldguard-demo"
	}
	f.smtp.demoDefaults(demoTLD)
	if err := f.loadChecks(); err != nil {
		return err
	}
	log, err := f.logger(errOut)
	if err != nil {
		return err
	}
	store, err := f.open(ctx)
	if err != nil {
		return err
	}
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	creds, err := loadDemo(tldguard.System(ctx, "demo"), svc, names, time.Now())
	svc.Close()
	if err != nil {
		store.Close()
		return err
	}
	m := &Main{Config: f.config(store, log)}
	return serveUntilDone(ctx, m, out, func(addr string) {
		fmt.Fprintf(out, "tldguard demo listening on http://%s (TLD %q, data in %s)\n", addr, demoTLD, f.where())
		fmt.Fprintf(out, "Open http://%s/ in a browser and sign in with a credential below.\n", addr)
		if creds == "" {
			fmt.Fprintln(out, "Demo data was loaded on an earlier run; its credentials were printed then.")
			if f.data != "" {
				fmt.Fprintf(out, "They are also in %s.\n", filepath.Join(f.data, "demo-credentials.txt"))
			}
			return
		}
		fmt.Fprint(out, creds)
		if f.data != "" {
			// A copy for the person who closed the terminal; demo only.
			os.WriteFile(filepath.Join(f.data, "demo-credentials.txt"), []byte(creds), 0o600)
		}
		fmt.Fprintf(out, "\nTry:\n  curl -s -X POST http://%s/api/v1/reports -H \"Authorization: Bearer $TOKEN\" \\\n"+
			"    -H 'Content-Type: application/json' -d '{\"threat_type\":\"phishing\",\"names\":[\"https://login.%s/verify\"]}'\n",
			addr, sampleName(1))
	})
}

func (f *dbFlags) where() string {
	if f.data != "" {
		return f.data
	}
	return "PostgreSQL"
}

// loadDemo loads the sample TLD, registry data, staff and reporters the
// first time, and returns the credentials to print ("" when the data was
// already there).
func loadDemo(ctx context.Context, s *service.Service, names int, now time.Time) (string, error) {
	if _, err := s.AddTLD(ctx, demoTLD); tldguard.ErrorKind(err) == tldguard.ECONFLICT {
		return "", nil
	} else if err != nil {
		return "", err
	}
	registrars, regs := sampleRegistry(names, now)
	if err := s.ImportRegistry(ctx, registrars, regs); err != nil {
		return "", err
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nStaff (sign in with e-mail and password):")
	for _, u := range []struct{ email, name, role string }{
		{"admin@nic.example", "Ada Admin", "admin"},
		{"analyst@nic.example", "Ann Analyst", "analyst"},
		{"approver@nic.example", "Arno Approver", "approver"},
		{"auditor@nic.example", "Audrey Auditor", "auditor"},
	} {
		usr, pw, err := s.CreateUser(ctx, u.email, u.name, tldguard.Role(u.role))
		if err != nil {
			return "", err
		}
		tok, err := s.CreateUserToken(ctx, usr.Email, "demo")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(tw, "  %s\t%s\tpassword %s\ttoken %s\n", u.role, u.email, pw, tok)
	}
	fmt.Fprintln(tw, "\nReporters (API tokens for POST /api/v1/reports, or to sign in to the web portal):")
	var tokens []string
	for _, r := range []service.ReporterInput{
		{Name: "Metropolitan Police Cyber Unit", Source: tldguard.SourceLawEnforcement, Email: "cyber@police.example", VerifiedBy: "admin@nic.example", VerifiedHow: "demo: called the force's published switchboard"},
		{Name: "National CERT", Source: tldguard.SourceGovernment, Email: "incident@cert.example", VerifiedBy: "admin@nic.example", VerifiedHow: "demo: signed letter from the ministry"},
		{Name: "Anti-Phishing Notifier", Source: tldguard.SourceTrustedNotifier, Email: "reports@notifier.example"},
		{Name: registrarNames[0], Source: tldguard.SourceRegistrar, Email: "abuse@" + registrarSlug(0) + ".example", RegistrarID: registrarID(0)},
		{Name: "Public reports", Source: tldguard.SourcePublic},
	} {
		rep, tok, err := s.CreateReporter(ctx, r)
		if err != nil {
			return "", err
		}
		tokens = append(tokens, tok)
		fmt.Fprintf(tw, "  %s\t%s\ttoken %s\n", rep.Source, rep.Name, tok)
	}
	tw.Flush()
	if err := sampleReports(ctx, s, tokens); err != nil {
		return "", err
	}
	return b.String(), nil
}

var registrarNames = []string{"Alpha Names Ltd", "Bravo Domains Inc", "Charlie Registrar GmbH", "Delta Web SA", "Echo Hosting BV", "Foxtrot Internet KK"}

func registrarID(i int) string { return fmt.Sprint(90001 + i) }
func registrarSlug(i int) string {
	return strings.ToLower(strings.Fields(registrarNames[i])[0]) + "-names"
}

var (
	nameWords = []string{"acme", "blue", "river", "north", "cloud", "bright", "maple", "harbor", "summit", "pixel", "green", "stone", "swift", "lumen", "cedar", "orbit", "nova", "atlas", "echo", "solar", "prime", "vista", "urban", "coral"}
	nameTails = []string{"bakery", "shop", "labs", "travel", "bank", "studio", "media", "health", "store", "garden", "tech", "books", "foods", "games", "law", "auto", "homes", "music", "sport", "design"}
)

// sampleName returns the i-th generated name; the mapping is fixed so docs
// and tests can name real demo registrations.
func sampleName(i int) string {
	w := nameWords[i%len(nameWords)]
	t := nameTails[(i/len(nameWords))%len(nameTails)]
	n := i / (len(nameWords) * len(nameTails))
	if n == 0 {
		return w + "-" + t + "." + demoTLD
	}
	return fmt.Sprintf("%s-%s%d.%s", w, t, n, demoTLD)
}

// sampleRegistry generates n registrations spread over the registrars,
// registered over the last five years (a few in the last days, as abuse
// often is), from a fixed seed so every demo has the same data.
func sampleRegistry(n int, now time.Time) ([]*tldguard.Registrar, []*tldguard.Registration) {
	rng := rand.New(rand.NewPCG(2026, 11))
	var registrars []*tldguard.Registrar
	for i, name := range registrarNames {
		registrars = append(registrars, &tldguard.Registrar{ID: registrarID(i), Name: name, AbuseEmail: "abuse@" + registrarSlug(i) + ".example", AbusePhone: fmt.Sprintf("+1.555010%04d", i)})
	}
	regs := make([]*tldguard.Registration, n)
	for i := range regs {
		r := rng.IntN(len(registrars))
		age := time.Duration(rng.Int64N(int64(5*365*24*time.Hour))) + time.Hour
		if rng.IntN(20) == 0 {
			age = time.Duration(rng.Int64N(int64(7*24*time.Hour))) + time.Hour
		}
		created := tldguard.Truncate(now.Add(-age))
		hoster := fmt.Sprintf("dns%d.%s.example", rng.IntN(3)+1, registrarSlug(r))
		regs[i] = &tldguard.Registration{
			Name: sampleName(i), TLD: demoTLD, RegistrarID: registrars[r].ID, RegistrarName: registrars[r].Name,
			Statuses: []string{"ok"}, NameServers: []string{"ns1." + hoster, "ns2." + hoster},
			CreatedAt: created, UpdatedAt: created,
		}
	}
	return registrars, regs
}

// sampleReports files a few reports through the real intake so the queue
// has something in it on first start.
func sampleReports(ctx context.Context, s *service.Service, tokens []string) error {
	docs := []struct {
		reporter int
		body     string
	}{
		{0, `{"threat_type":"phishing","names":["https://secure-login.` + sampleName(4) + `/account/verify"],"description":"Credential phishing kit imitating a bank, used in an ongoing fraud investigation.","request":{"authority":"Metropolitan Police Cyber Unit","jurisdiction":"Example County","legal_basis":"Fraud Act s.2 investigation","reference":"MPCU-2026-1187","requested_action":"hold","urgency":"life","urgency_reason":"Victims are being lured to meetings under threat; the site is used to identify them.","do_not_notify_registrant":true}}`},
		{2, `{"threat_type":"phishing","names":["http://` + sampleName(17) + `/wp-content/uploads/login.php","http://` + sampleName(17) + `/wp-admin/css/bank.html"]}`},
		{1, `{"threat_type":"botnet","names":["xk7f3q9vzt2m.example","qz9v2ml4pa8r.example","p3ld8wq1nx5c.example"],"description":"Generated names of a botnet's command-and-control algorithm, not yet registered."}`},
		{4, `{"threat_type":"malware","names":["` + sampleName(42) + `/download/invoice.exe"],"description":"Got an e-mail with this link, antivirus says trojan."}`},
		{4, `{"threat_type":"copyright","names":["` + sampleName(99) + `"],"description":"They sell copies of my photographs."}`},
	}
	for i, d := range docs {
		p, err := s.Authenticate(ctx, tokens[d.reporter])
		if err != nil {
			return err
		}
		rctx := tldguard.NewContext(ctx, p)
		if _, err := s.SubmitReport(rctx, &tldguard.Submission{Raw: []byte(d.body), ContentType: "application/json"}); err != nil {
			return fmt.Errorf("sample report %d: %w", i, err)
		}
	}
	return nil
}
