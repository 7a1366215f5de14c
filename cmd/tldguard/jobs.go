package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/policy"
)

// startJobs runs the durable job runner (actions, referral clocks) beside
// the server until Close. Every node runs one; claims keep a job to one
// worker at a time.
func (m *Main) startJobs() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	m.jobsStop, m.jobsDone = cancel, done
	host, _ := os.Hostname()
	worker := fmt.Sprintf("%s:%d", host, os.Getpid())
	go func() {
		defer close(done)
		m.Service.RunJobs(ctx, worker)
	}()
}

// stopJobs ends the runner and waits for the job in hand: it finishes or,
// if the process dies first, its claim expires and another worker runs it.
func (m *Main) stopJobs() {
	if m.jobsStop == nil {
		return
	}
	m.jobsStop()
	select {
	case <-m.jobsDone:
	case <-time.After(m.Config.ShutdownTimeout):
	}
}

// loadPolicy reads the operator's policy file, or returns the defaults.
func loadPolicy(path string) (*policy.Policy, error) {
	if path == "" {
		return policy.Default(), nil
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %s", describe(err))
	}
	return p, nil
}

// runPolicy: "policy show [--policy FILE]" prints the effective policy as a
// loadable file; "policy check FILE" validates one.
func runPolicy(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("policy", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"show": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var file string
			fs := newFlags("policy show", errOut)
			fs.StringVar(&file, "policy", "", "the policy file to show with the defaults it does not change")
			if err := parse(fs, args); err != nil {
				return err
			}
			p, err := loadPolicy(file)
			if err != nil {
				return err
			}
			fmt.Fprint(out, p.Text())
			return nil
		},
		"check": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			if len(args) != 1 {
				return usagef("policy check takes the file to check")
			}
			if _, err := loadPolicy(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: valid\n", args[0])
			return nil
		},
	})
}

// runRegistry: "registry zone --tld T" writes the zone the embedded
// registry implies (held names absent, redirected names at the sinkhole);
// "registry import" loads it from a zone file and CSV files
// (registry_import.go).
func runRegistry(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("registry", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"import": registryImport,
		"zone": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var f dbFlags
			var tld string
			var serial uint
			fs := newFlags("registry zone", errOut)
			f.register(fs)
			fs.StringVar(&tld, "tld", "", "the TLD whose zone to write")
			fs.UintVar(&serial, "serial", 0, "the SOA serial (default: the current time, YYYYMMDDnn-style seconds)")
			if err := parse(fs, args); err != nil {
				return err
			}
			if tld == "" {
				return usagef("--tld is required")
			}
			store, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer store.Close()
			if serial == 0 {
				serial = uint(time.Now().Unix())
			}
			return localregistry.New(store).WriteZone(ctx, out, tld, uint32(serial))
		},
	})
}
