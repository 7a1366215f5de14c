package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// These helpers drive the real tldguard binary, as an operator would.

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// binary builds cmd/tldguard once per test run and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tldguard-bin")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "tldguard")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// where is the --data or --db flag pair for one engine.
type where []string

// tool runs a tldguard command to completion and returns its output.
func tool(t testing.TB, w where, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), append(args, w...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustTool is tool that fails the test on a non-zero exit.
func mustTool(t testing.TB, w where, args ...string) string {
	t.Helper()
	out, err := tool(t, w, args...)
	if err != nil {
		t.Fatalf("tldguard %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// lastLine returns the last non-empty line of out: where the CLI prints
// secrets, so scripts can take them.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// server is a running "tldguard serve" process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	mu   *sync.Mutex
}

var listenRE = regexp.MustCompile(`listening on http://(\S+)`)

// startServer starts "tldguard serve" (or another serving command) on a
// free port and waits until it listens.
func startServer(t testing.TB, w where, args ...string) *server {
	t.Helper()
	if len(args) == 0 {
		args = []string{"serve"}
	}
	args = append(args, "--addr", "127.0.0.1:0", "--log-format", "text")
	cmd := exec.Command(binary(t), append(args, w...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: new(bytes.Buffer), mu: new(sync.Mutex)}
	cmd.Stderr = lockedWriter{s.mu, s.logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case s.addr = <-found:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", s.output())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// stop sends sig and waits for the process to end.
func (s *server) stop(t testing.TB, sig os.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		s.cmd.Process.Kill()
		t.Fatalf("server did not stop after %v:\n%s", sig, s.output())
		return nil
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
