package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tldguard/tldguard"
	"github.com/tldguard/tldguard/internal/testdb"
	"github.com/tldguard/tldguard/mail"
	"github.com/tldguard/tldguard/service"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func message(id, name string) string {
	return "From: r@mail.test\r\nSubject: phishing\r\nMessage-ID: <" + id + "@mail.test>\r\n\r\nhttps://" + name + "/login\r\n"
}

// TestImport imports a maildir, a directory of .eml files and one file,
// then imports them all again and stores nothing new.
func TestImport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, store tldguard.Store) {
		svc := newService(t, store)
		root := t.TempDir()
		md := filepath.Join(root, "Maildir")
		write(t, filepath.Join(md, "cur", "1730800000.M1P1.mx:2,S"), message("m1", "bad.example"))
		write(t, filepath.Join(md, "new", "1730800001.M2P1.mx"), message("m2", "shop-login.bad.example"))
		write(t, filepath.Join(md, "tmp", "1730800002.M3P1.mx"), message("m3", "half-delivered.example"))
		write(t, filepath.Join(md, "cur", ".hidden"), message("m4", "hidden.example"))
		emls := filepath.Join(root, "eml")
		write(t, filepath.Join(emls, "a.eml"), message("e1", "kit.bad.example"))
		write(t, filepath.Join(emls, "B.EML"), message("e2", "other-kit.example"))
		write(t, filepath.Join(emls, "notes.txt"), "not a message")
		one := filepath.Join(root, "one.msg")
		write(t, one, message("o1", "single.example"))
		write(t, filepath.Join(root, "big", "big.eml"), message("b1", "big.example")+strings.Repeat("x\r\n", 400))

		var mu sync.Mutex
		var progress []string
		opts := mail.ImportOptions{Options: service.MailOptions{OwnAddresses: []string{"nic.example"}},
			Progress: func(file string, r *service.MailReceipt, err error) {
				mu.Lock()
				defer mu.Unlock()
				progress = append(progress, filepath.Base(file))
			}}
		ctx := tldguard.System(context.Background(), "cli")
		for _, tt := range []struct {
			path               string
			files, stored, dup int
		}{
			{md, 2, 2, 0},
			{emls, 2, 2, 0},
			{one, 1, 1, 0},
			{md, 2, 0, 2}, // again: nothing new
			{emls, 2, 0, 2},
		} {
			res, err := mail.Import(ctx, svc, tt.path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Files != tt.files || res.Stored != tt.stored || res.Duplicates != tt.dup || res.Failed != 0 {
				t.Errorf("import %s: %+v, want %d files, %d stored, %d duplicates", tt.path, res, tt.files, tt.stored, tt.dup)
			}
		}
		if len(progress) != 9 {
			t.Errorf("progress for %d files: %q", len(progress), progress)
		}
		rs, err := svc.Reports(ctx, tldguard.ReportFilter{Limit: 50})
		if err != nil || len(rs) != 5 {
			t.Errorf("%d reports, want 5 (%v)", len(rs), err)
		}
		for _, r := range rs {
			if strings.Contains(string(r.Description), "half-delivered") {
				t.Error("a message in tmp/ was imported")
			}
		}

		// A file over the size limit fails alone; an empty directory is an error.
		res, err := mail.Import(ctx, svc, filepath.Join(root, "big"), mail.ImportOptions{MaxMessageBytes: 500})
		if err != nil || res.Failed != 1 || res.Stored != 0 {
			t.Errorf("oversized file: %+v %v", res, err)
		}
		empty := filepath.Join(root, "empty")
		os.Mkdir(empty, 0o755)
		if _, err := mail.Import(ctx, svc, empty, mail.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "holds no messages") {
			t.Errorf("empty directory: %v", err)
		}
		if _, err := mail.Import(ctx, svc, filepath.Join(root, "missing"), mail.ImportOptions{}); err == nil {
			t.Error("a missing path imported")
		}
	})
}
