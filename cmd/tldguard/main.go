// Command tldguard is the whole tldguard system in one binary: the server
// (serve, demo) and the operator's tools (migrate, user, reporter, tld,
// audit). Run "tldguard help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tldguard/tldguard"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand: it parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (API) on a data directory or PostgreSQL", runServe},
		{"demo", "run the server with a sample TLD, users and reporters loaded once", runDemo},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"user", "manage staff accounts: user add | disable | enable", runUser},
		{"reporter", "manage reporter accounts: reporter add | verify | list | disable | enable", runReporter},
		{"tld", "manage the operator's TLDs: tld add | list", runTLD},
		{"audit", "check the audit log: audit verify | head", runAudit},
		{"stats", "the §3(b) statistics: stats --period P [--format json|csv|html] | snapshot | snapshots | show | verify", runStats},
		{"policy", "the Framework playbook: policy show | check FILE", runPolicy},
		{"registry", "the embedded registry: registry zone --tld T | import --tld T --zone FILE", runRegistry},
		{"mail", "take in e-mailed threat reports: mail import FILE|DIR", runMail},
		{"scan", "check the zones against the feeds now: scan [--zone Z] [--feed F=SRC] | scan list", runScan},
		{"feeds", "list the configured reputation feeds, their last fetch and status", runFeeds},
		{"notices", "the outbox: notices list [--status failed|queued|sent|all] | retry --id N --reason R", runNotices},
	}
}

// run executes one command line and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], out, errOut)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(errOut, "tldguard %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(errOut, "tldguard %s: %s\n", c.name, describe(err))
			return 1
		}
	}
	fmt.Fprintf(errOut, "tldguard: unknown command %q (see tldguard help)\n", args[0])
	return 2
}

// describe prints an error for a person at a terminal: the caller-safe
// message and, for internal errors, the detail (this is the operator).
func describe(err error) string {
	var e *tldguard.Error
	if errors.As(err, &e) && e.Kind != tldguard.EINTERNAL {
		return tldguard.ErrorMessage(err)
	}
	return err.Error()
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func usage(w io.Writer) {
	fmt.Fprintln(w, "tldguard finds and answers security threats in a registry operator's TLDs.")
	fmt.Fprintln(w, "\nUsage: tldguard COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data DIR (SQLite in DIR) or --db postgres://... (or $TLDGUARD_DB).")
	fmt.Fprintln(w, "Run tldguard COMMAND -h for its flags.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tldguard "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	return fs
}

// parse parses args and refuses stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
