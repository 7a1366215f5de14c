package mail

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/service"
)

// ImportOptions configures Import.
type ImportOptions struct {
	// Options are passed to SubmitMail for each message (Channel "import").
	Options service.MailOptions
	// MaxMessageBytes skips larger files (default DefaultMaxMessageBytes).
	MaxMessageBytes int64
	// Workers is how many messages are stored at once (default 4): the
	// service commits concurrent messages together, so a few in flight
	// import many times faster than one at a time.
	Workers int
	// Progress, when set, is called once per file, as each is done (from
	// one goroutine at a time, not in file order).
	Progress func(file string, r *service.MailReceipt, err error)
}

// ImportResult counts what Import did.
type ImportResult struct {
	Files      int // messages found
	Stored     int // stored now
	Duplicates int // stored before (the same bytes), not stored again
	Failed     int // not stored; Progress was told why
}

// Import stores the messages at path: one message file (.eml or any
// name), a maildir (the files in its cur/ and new/; tmp/ holds messages
// still being delivered), or a directory of .eml files. It is idempotent:
// a message whose exact bytes were stored before is recognised by its
// SHA-256 and not stored again, so an import can be rerun over the same
// files. A file that cannot be read or stored is counted as failed and the
// import goes on; the error returned is for path itself, or ctx ending.
func Import(ctx context.Context, svc Submitter, path string, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	files, err := messageFiles(path)
	if err != nil {
		return res, err
	}
	res.Files = len(files)
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	mopts := opts.Options
	mopts.Channel, mopts.Envelope = "import", nil

	var mu sync.Mutex
	done := func(file string, r *service.MailReceipt, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			res.Failed++
		case r.Duplicate:
			res.Duplicates++
		default:
			res.Stored++
		}
		if opts.Progress != nil {
			opts.Progress(file, r, err)
		}
	}
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(workers, max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for file := range next {
				raw, err := readMessageFile(file, opts.MaxMessageBytes)
				if err != nil {
					done(file, nil, err)
					continue
				}
				r, err := svc.SubmitMail(tldguard.System(ctx, "mail:import"), raw, mopts)
				done(file, r, err)
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- f:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return res, ctx.Err()
}

// messageFiles lists the message files at path, sorted.
func messageFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var files []string
	maildir := false
	for _, sub := range []string{"cur", "new"} {
		dir := filepath.Join(path, sub)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			maildir = true
			f, err := listFiles(dir, func(string) bool { return true })
			if err != nil {
				return nil, err
			}
			files = append(files, f...)
		}
	}
	if !maildir {
		files, err = listFiles(path, func(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".eml") })
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s holds no messages: give a message file, a maildir (with cur/ and new/) or a directory of .eml files", path)
		}
	}
	return files, nil
}

// listFiles returns the regular files of dir whose names keep accepts,
// without dot files, sorted.
func listFiles(dir string, keep func(string) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() || !keep(e.Name()) {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// readMessageFile reads a message file of at most max bytes.
func readMessageFile(file string, max int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, tldguard.Errorf(tldguard.ETOOLARGE, "the message is larger than %d bytes", max)
	}
	if len(raw) == 0 {
		return nil, tldguard.Errorf(tldguard.EINVALID, "the file is empty")
	}
	return raw, nil
}
