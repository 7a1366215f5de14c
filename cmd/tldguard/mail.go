package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/service"
)

// mailFlags are the flags of the mail intake, shared by serve, demo and
// mail import.
type mailFlags struct {
	trustedAuthServ string
	ownAddresses    string
	secretsFile     string
}

func (f *mailFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.trustedAuthServ, "trusted-authserv", "", "comma-separated authserv-ids of your own mail servers, whose Authentication-Results (DKIM) are believed")
	fs.StringVar(&f.ownAddresses, "own-addresses", "", "comma-separated addresses or domains of your own; mail from them is never answered")
	fs.StringVar(&f.secretsFile, "mail-secrets", "", "file of per-reporter shared secrets, one \"REPORTER_ID SECRET\" a line, sent in the X-Tldguard-Secret header")
}

// options returns the service's mail options the flags describe.
func (f *mailFlags) options() (service.MailOptions, error) {
	opts := service.MailOptions{TrustedAuthServIDs: splitList(f.trustedAuthServ), OwnAddresses: splitList(f.ownAddresses)}
	if f.secretsFile == "" {
		return opts, nil
	}
	file, err := os.Open(f.secretsFile)
	if err != nil {
		return opts, fmt.Errorf("--mail-secrets: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, secret, ok := strings.Cut(line, " ")
		rid, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || strings.TrimSpace(secret) == "" {
			return opts, usagef("--mail-secrets: line %d is not \"REPORTER_ID SECRET\"", n)
		}
		opts.Secrets = append(opts.Secrets, service.MailSecret{ReporterID: rid, Secret: strings.TrimSpace(secret)})
	}
	return opts, sc.Err()
}

// smtpFlags are the SMTP listener's flags on serve and demo.
type smtpFlags struct {
	mailFlags
	addr       string
	recipients string
	cert, key  string
}

func (f *smtpFlags) register(fs *flag.FlagSet) {
	f.mailFlags.register(fs)
	fs.StringVar(&f.addr, "smtp-addr", "", "take threat reports by e-mail: SMTP listen address HOST:PORT (off when empty)")
	fs.StringVar(&f.recipients, "smtp-recipients", "", "comma-separated addresses the SMTP listener takes mail for, e.g. abuse@nic.example; all others are refused")
	fs.StringVar(&f.cert, "smtp-cert", "", "TLS certificate file (PEM) for STARTTLS")
	fs.StringVar(&f.key, "smtp-key", "", "TLS key file (PEM) for STARTTLS")
}

// demoDefaults takes mail for the demo TLD's abuse address.
func (f *smtpFlags) demoDefaults(tld string) {
	if f.recipients == "" {
		f.recipients = "abuse@nic." + tld
	}
}

// smtpConfig is the SMTP intake of a Config; nil leaves it off.
type smtpConfig struct {
	Addr       string
	Recipients []string
	CertFile   string
	KeyFile    string
	flags      mailFlags
}

func (f *smtpFlags) config() *smtpConfig {
	if f.addr == "" {
		return nil
	}
	return &smtpConfig{Addr: f.addr, Recipients: splitList(f.recipients), CertFile: f.cert, KeyFile: f.key, flags: f.mailFlags}
}

// openSMTP starts the SMTP listener when one is configured.
func (m *Main) openSMTP() error {
	c := m.Config.SMTP
	if c == nil {
		return nil
	}
	if len(c.Recipients) == 0 {
		return usagef("--smtp-addr needs --smtp-recipients: the addresses to take mail for")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return usagef("give both --smtp-cert and --smtp-key, or neither")
	}
	opts, err := c.flags.options()
	if err != nil {
		return err
	}
	cfg := mail.Config{Addr: c.Addr, Recipients: c.Recipients, Options: opts, Logger: m.Config.Logger}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return fmt.Errorf("--smtp-cert/--smtp-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := mail.NewServer(cfg, m.Service)
	if err != nil {
		return err
	}
	if err := srv.Open(); err != nil {
		return err
	}
	m.SMTP = srv
	m.Config.Logger.Info("tldguard taking mail", "smtp", srv.Addr().String(), "recipients", c.Recipients, "starttls", cfg.TLS != nil)
	return nil
}

// closeSMTP stops the SMTP listener, letting sessions finish until ctx ends.
func (m *Main) closeSMTP(ctx context.Context) error {
	if m.SMTP == nil {
		return nil
	}
	return m.SMTP.Close(ctx)
}

// printSMTP tells the person at the terminal where mail goes.
func (m *Main) printSMTP(out io.Writer) {
	if m.SMTP != nil {
		fmt.Fprintf(out, "tldguard taking mail for %s on smtp://%s\n", strings.Join(m.Config.SMTP.Recipients, ", "), m.SMTP.Addr())
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

func runMail(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(out, "Usage: tldguard mail import [flags] FILE|DIR")
			return nil
		}
		return usagef("mail needs a verb (import)")
	}
	return mailImport(ctx, args[1:], out, errOut)
}

// mailImport stores the messages of a file, a maildir or a directory of
// .eml files, printing a line per message and a summary; it exits non-zero
// when a message could not be stored.
func mailImport(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var mf mailFlags
	var workers int
	fs := newFlags("mail import", errOut)
	f.register(fs)
	mf.register(fs)
	fs.IntVar(&workers, "workers", 4, "messages stored at once")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "Usage: tldguard mail import [flags] FILE|DIR\n\nStores e-mailed threat reports: one message file, a maildir (cur/ and new/) or a directory of .eml files.\nA message stored before (the same bytes) is not stored again.\n\nFlags:")
		fs.PrintDefaults()
	}
	// Flags may come before or after the path, as the other commands'
	// --data and --db are usually written last.
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(paths) != 1 {
		return usagef("give one FILE or DIR to import")
	}
	path := paths[0]
	opts, err := mf.options()
	if err != nil {
		return err
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		var mu sync.Mutex
		res, err := mail.Import(ctx, s, path, mail.ImportOptions{Options: opts, Workers: workers,
			Progress: func(file string, r *service.MailReceipt, err error) {
				mu.Lock()
				defer mu.Unlock()
				name := filepath.Base(file)
				switch {
				case err != nil:
					fmt.Fprintf(out, "failed   %s: %s\n", name, describe(err))
				case r.Duplicate:
					fmt.Fprintf(out, "stored before  %s: report %s\n", name, reportIDs(r))
				default:
					fmt.Fprintf(out, "stored   %s: report %s (%s, %s)%s\n", name, reportIDs(r), r.Format, r.Reporter, caseList(r))
				}
			}})
		fmt.Fprintf(out, "%d messages: %d stored, %d stored before, %d failed\n", res.Files, res.Stored, res.Duplicates, res.Failed)
		if err != nil {
			return err
		}
		if res.Failed > 0 {
			return tldguard.Errorf(tldguard.EUNPROCESSABLE, "%d of %d messages were not stored", res.Failed, res.Files)
		}
		return nil
	})
}

func reportIDs(r *service.MailReceipt) string {
	var ids []string
	for _, rep := range r.Reports {
		ids = append(ids, strconv.FormatInt(rep.ReportID, 10))
	}
	return strings.Join(ids, ", ")
}

func caseList(r *service.MailReceipt) string {
	var cs []string
	for _, rep := range r.Reports {
		for _, c := range rep.Cases {
			cs = append(cs, c.Number+" "+c.Domain)
		}
	}
	if len(cs) == 0 {
		return ": no case (nothing in your TLDs)"
	}
	return ": " + strings.Join(cs, ", ")
}
