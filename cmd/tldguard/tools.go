package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/localregistry"
	"github.com/tldguard/tldguard/service"
)

// withService opens the store, runs fn with a service acting as the
// operator at the command line, and closes everything.
func withService(ctx context.Context, f *dbFlags, fn func(ctx context.Context, s *service.Service) error) error {
	store, err := f.open(ctx)
	if err != nil {
		return err
	}
	svc := service.New(service.Config{Store: store, Registry: localregistry.New(store)})
	defer func() {
		svc.Close()
		store.Close()
	}()
	return fn(tldguard.System(ctx, cliActor()), svc)
}

// cliActor names the person at the terminal in audit events.
func cliActor() string {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return name
}

func runMigrate(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	fs := newFlags("migrate", errOut)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	store, err := f.open(ctx) // open migrates
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "schema up to date (%d migrations applied now)\n", len(applied))
	return nil
}

// subcommand dispatches "tldguard NOUN VERB".
func subcommand(noun string, ctx context.Context, args []string, out, errOut io.Writer, verbs map[string]func(context.Context, []string, io.Writer, io.Writer) error) error {
	if len(args) == 0 {
		return usagef("%s needs a verb (%s)", noun, verbList(verbs))
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return usagef("unknown verb %q (%s)", args[0], verbList(verbs))
	}
	return fn(ctx, args[1:], out, errOut)
}

func verbList(verbs map[string]func(context.Context, []string, io.Writer, io.Writer) error) string {
	s := ""
	for _, v := range []string{"add", "verify", "list", "disable", "enable", "head", "show", "check", "zone", "import", "snapshot", "retry"} {
		if _, ok := verbs[v]; ok {
			if s != "" {
				s += ", "
			}
			s += v
		}
	}
	return s
}

func runUser(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("user", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"add": userAdd,
		"disable": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			return userSetDisabled(ctx, args, out, errOut, true)
		},
		"enable": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			return userSetDisabled(ctx, args, out, errOut, false)
		},
	})
}

// userAdd prints the generated password, or with --token a new API token,
// on its last line of output.
func userAdd(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var email, name, role string
	var token bool
	fs := newFlags("user add", errOut)
	f.register(fs)
	fs.StringVar(&email, "email", "", "the person's e-mail address (their sign-in name)")
	fs.StringVar(&name, "name", "", "the person's name")
	fs.StringVar(&role, "role", "", "admin, analyst, approver or auditor")
	fs.BoolVar(&token, "token", false, "print a new API token instead of the password")
	if err := parse(fs, args); err != nil {
		return err
	}
	if email == "" || role == "" {
		return usagef("--email and --role are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		u, password, err := s.CreateUser(ctx, email, name, tldguard.Role(role))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "user %s added with role %s\n", u.Email, u.Role)
		if token {
			t, err := s.CreateUserToken(ctx, u.Email, "cli")
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "API token (shown once):")
			fmt.Fprintln(out, t)
			return nil
		}
		fmt.Fprintln(out, "password (shown once):")
		fmt.Fprintln(out, password)
		return nil
	})
}

func runReporter(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("reporter", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"add":    reporterAdd,
		"verify": reporterVerify,
		"list":   reporterList,
		"disable": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			return reporterSetDisabled(ctx, args, out, errOut, true)
		},
		"enable": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			return reporterSetDisabled(ctx, args, out, errOut, false)
		},
	})
}

// reporterAdd prints the new reporter's API token on its last line.
func reporterAdd(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var in service.ReporterInput
	var kind string
	fs := newFlags("reporter add", errOut)
	f.register(fs)
	fs.StringVar(&in.Name, "name", "", "the reporter's name, e.g. the agency")
	fs.StringVar(&kind, "kind", "", "law_enforcement, government, trusted_notifier, registrar or public")
	fs.StringVar(&in.Email, "email", "", "where acknowledgements and outcomes go")
	fs.StringVar(&in.RegistrarID, "registrar-id", "", "IANA registrar id (registrar reporters only)")
	fs.StringVar(&in.VerifiedBy, "verified-by", "", "who checked the account out of band")
	fs.StringVar(&in.VerifiedHow, "verified-how", "", "how it was checked (e.g. called the agency's published number)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if in.Name == "" || kind == "" {
		return usagef("--name and --kind are required")
	}
	in.Source = tldguard.Source(kind)
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		r, token, err := s.CreateReporter(ctx, in)
		if err != nil {
			return err
		}
		v := "unverified"
		if r.Verified() {
			v = "verified by " + r.Verification.By
		}
		fmt.Fprintf(out, "reporter %d %q added (%s, %s)\n", r.ID, r.Name, r.Source, v)
		fmt.Fprintln(out, "API token (shown once):")
		fmt.Fprintln(out, token)
		return nil
	})
}

func reporterVerify(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var id int64
	var by, how string
	fs := newFlags("reporter verify", errOut)
	f.register(fs)
	fs.Int64Var(&id, "id", 0, "the reporter's id")
	fs.StringVar(&by, "by", "", "who checked the account out of band")
	fs.StringVar(&how, "how", "", "how it was checked")
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == 0 || by == "" || how == "" {
		return usagef("--id, --by and --how are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		r, err := s.VerifyReporter(ctx, id, by, how)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "reporter %d %q verified by %s at %s\n", r.ID, r.Name, r.Verification.By, r.Verification.At.Format("2006-01-02 15:04:05Z07:00"))
		return nil
	})
}

func reporterList(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	fs := newFlags("reporter list", errOut)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		rs, err := s.Reporters(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKIND\tVERIFIED\tREGISTRAR")
		for _, r := range rs {
			v := "no"
			if r.Verified() {
				v = "by " + r.Verification.By
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Source, v, r.RegistrarID)
		}
		return tw.Flush()
	})
}

func runTLD(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("tld", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"add": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var f dbFlags
			var name string
			fs := newFlags("tld add", errOut)
			f.register(fs)
			fs.StringVar(&name, "name", "", "the TLD, e.g. example")
			if err := parse(fs, args); err != nil {
				return err
			}
			if name == "" {
				return usagef("--name is required")
			}
			return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
				tld, err := s.AddTLD(ctx, name)
				if err == nil {
					fmt.Fprintf(out, "TLD %s added\n", tld)
				}
				return err
			})
		},
		"list": func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var f dbFlags
			fs := newFlags("tld list", errOut)
			f.register(fs)
			if err := parse(fs, args); err != nil {
				return err
			}
			return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
				tlds, err := s.TLDs(ctx)
				for _, t := range tlds {
					n, _ := s.CountRegistrations(ctx, t)
					fmt.Fprintf(out, "%s\t%d registrations\n", t, n)
				}
				return err
			})
		},
	})
}

func runAudit(ctx context.Context, args []string, out, errOut io.Writer) error {
	return subcommand("audit", ctx, args, out, errOut, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"verify": auditVerify,
		"head":   auditHead,
	})
}

// errChainBroken makes audit verify exit non-zero after printing its report.
type errChainBroken struct{ msg string }

func (e errChainBroken) Error() string { return e.msg }

// auditVerify exits 0 on an intact chain and 1 naming the first altered or
// missing event.
func auditVerify(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	var head string
	var asJSON bool
	fs := newFlags("audit verify", errOut)
	f.register(fs)
	fs.StringVar(&head, "head", "", "an exported chain head SEQ:HASH to check the log against")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	var anchor *tldguard.ChainHead
	if head != "" {
		h, err := tldguard.ParseChainHead(head)
		if err != nil {
			return usagef("--head: %s", tldguard.ErrorMessage(err))
		}
		anchor = &h
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		rep, err := s.VerifyChain(ctx, anchor)
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else if rep.OK {
			fmt.Fprintf(out, "audit log intact: %d events, head %s\n", rep.Events, rep.Head)
		}
		if !rep.OK {
			return errChainBroken{"audit log BROKEN at event " + strconv.FormatInt(rep.BrokenAt, 10) + ": " + rep.Broken}
		}
		return nil
	})
}

func auditHead(ctx context.Context, args []string, out, errOut io.Writer) error {
	var f dbFlags
	fs := newFlags("audit head", errOut)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		h, err := s.ChainHead(ctx)
		if err == nil {
			fmt.Fprintln(out, h.String())
		}
		return err
	})
}

// userSetDisabled: "user disable|enable --email E --reason R".
func userSetDisabled(ctx context.Context, args []string, out, errOut io.Writer, disabled bool) error {
	var f dbFlags
	var email, reason string
	fs := newFlags("user "+onOffVerb(disabled), errOut)
	f.register(fs)
	fs.StringVar(&email, "email", "", "the person's e-mail address")
	fs.StringVar(&reason, "reason", "", "why (kept in the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if email == "" || reason == "" {
		return usagef("--email and --reason are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		u, err := s.SetUserDisabled(ctx, email, disabled, reason)
		if err == nil {
			fmt.Fprintf(out, "user %s %sd\n", u.Email, onOffVerb(disabled))
		}
		return err
	})
}

// reporterSetDisabled: "reporter disable|enable --id N --reason R".
func reporterSetDisabled(ctx context.Context, args []string, out, errOut io.Writer, disabled bool) error {
	var f dbFlags
	var id int64
	var reason string
	fs := newFlags("reporter "+onOffVerb(disabled), errOut)
	f.register(fs)
	fs.Int64Var(&id, "id", 0, "the reporter's id (tldguard reporter list)")
	fs.StringVar(&reason, "reason", "", "why (kept in the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == 0 || reason == "" {
		return usagef("--id and --reason are required")
	}
	return withService(ctx, &f, func(ctx context.Context, s *service.Service) error {
		r, err := s.SetReporterDisabled(ctx, id, disabled, reason)
		if err == nil {
			fmt.Fprintf(out, "reporter %d %q %sd\n", r.ID, r.Name, onOffVerb(disabled))
		}
		return err
	})
}

func onOffVerb(disabled bool) string {
	if disabled {
		return "disable"
	}
	return "enable"
}
