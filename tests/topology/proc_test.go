package topology

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopWithin bounds a graceful stop (SIGTERM) before the child is killed.
const stopWithin = 20 * time.Second

// logTail is how much of each child's output a failure prints.
const logTail = 64 << 10

// process is a child process whose output (stdout and stderr) is kept.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *output
	done chan struct{} // closed once the process has exited
	err  error         // its exit, valid after done
}

// output collects a child's output and wakes whoever waits for a line.
type output struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// snapshot returns the output so far and a channel closed on the next write.
func (o *output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String(), o.changed
}

// children are the processes of one test; their logs are printed when it
// fails, after every one of them has stopped.
type children struct {
	t     *testing.T
	mu    sync.Mutex
	procs []*process
}

func newChildren(t *testing.T) *children {
	c := &children{t: t}
	// Registered before any child's stop, so it runs after all of them.
	t.Cleanup(c.printLogsOnFailure)
	return c
}

// start runs bin with args in dir and env, and stops it when the test ends:
// SIGTERM, as a service manager stops a deployment, then SIGKILL after
// stopWithin.
func (c *children) start(name, dir string, env []string, bin string, args ...string) *process {
	c.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	out := newOutput()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	c.t.Cleanup(func() { p.stop(c.t) })
	return p
}

func (p *process) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopWithin):
		t.Errorf("%s did not stop within %s of SIGTERM; killed", p.name, stopWithin)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited describes how the process ended, or that it runs.
func (p *process) exited() string {
	select {
	case <-p.done:
		if p.err == nil {
			return "exited 0"
		}
		return p.err.Error()
	default:
		return "running"
	}
}

// waitFor waits until the output has a line matching re and returns the
// first submatch (or the whole match). It fails the test when the process
// exits first or the deadline passes.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		text, changed := p.out.snapshot()
		if m := re.FindStringSubmatch(text); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-changed:
		case <-p.done:
			// The last words may have been written just before the exit.
			if text, _ := p.out.snapshot(); re.MatchString(text) {
				continue
			}
			t.Fatalf("%s %s before printing %q", p.name, p.exited(), re)
		case <-deadline.C:
			t.Fatalf("%s printed no %q within %s", p.name, re, within)
		}
	}
}

func (c *children) printLogsOnFailure() {
	if !c.t.Failed() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		text, _ := p.out.snapshot()
		if len(text) > logTail {
			text = "…" + text[len(text)-logTail:]
		}
		c.t.Logf("--- %s (%s) ---\n%s", p.name, p.exited(), text)
	}
}

// buildBinaries builds socflow and the standalone Temporal server into a
// temporary folder, once: `go build`, not `go run`, so that the processes
// signalled are the servers themselves.
func buildBinaries(t *testing.T, ctx context.Context) (socflow, temporal string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the processes under test: %v", err)
	}
	dir := t.TempDir()
	args := []string{"build"}
	if raceBuild {
		args = append(args, "-race")
	}
	args = append(args, "-o", dir+string(os.PathSeparator), "./cmd/socflow", "./tests/topology/temporalserver")
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = moduleRoot
	begin := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (the test's deadline passed)", err)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("built socflow and temporalserver in %s (race: %v)", time.Since(begin).Round(time.Millisecond), raceBuild)
	return dir + "/socflow", dir + "/temporalserver"
}

// childEnv is this process's environment without what would make a child
// read another configuration, Temporal or integration than the test's (the
// conventional variables win over the configuration file), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if ours(name) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func ours(name string) bool {
	for _, prefix := range []string{"TEMPORAL_", "SOCFLOW_", "SLACK_", "JIRA_", "VT_", "ABUSEIPDB_", "DEFENDER_", "OKTA_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}
