package panos_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/panos"
	"github.com/socflow/socflow/integrations/panos/panostest"
)

const group = "socflow-blocked"

func start(t *testing.T, key string, opts ...panostest.Option) (*panostest.Server, *panos.Client) {
	t.Helper()
	fw := panostest.New(opts...)
	ts := httptest.NewServer(fw)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = fw.Close() })
	c, err := panos.New(ts.Client(), panos.Config{URL: ts.URL, Key: key, AddressGroup: group, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return fw, c
}

func TestBlockThenUnblock(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey, panostest.WithGroup("vsys1", group, "existing"), panostest.WithCommitPolls(3))
	ctx := context.Background()
	ref, err := c.BlockIP(ctx, "203.0.113.9", `socflow INC-1: block 203.0.113.9 (<c2> & "beacon")`)
	if err != nil || ref != "socflow-203.0.113.9" {
		t.Fatalf("BlockIP = %q, %v", ref, err)
	}
	if v, ok := fw.Object("vsys1", ref, true); !ok || v != "203.0.113.9/32" {
		t.Errorf("running object %q %v", v, ok)
	}
	if m := fw.Members("vsys1", group, true); len(m) != 2 || m[1] != ref {
		t.Errorf("running members %v", m)
	}
	polls := 0
	for _, call := range fw.Calls() {
		if call.Type == "op" {
			polls++
		}
		if call.Type == "config" && call.Action == "set" && strings.Contains(call.Element, "<c2>") {
			t.Errorf("comment not escaped in %s", call.Element)
		}
	}
	if fw.Commits() != 1 || polls != 3 {
		t.Errorf("%d commits, %d polls; want 1 and 3", fw.Commits(), polls)
	}

	if err := c.UnblockIP(ctx, "203.0.113.9", ref); err != nil {
		t.Fatal(err)
	}
	if _, ok := fw.Object("vsys1", ref, true); ok {
		t.Error("object still in the running configuration")
	}
	if m := fw.Members("vsys1", group, true); len(m) != 1 || m[0] != "existing" {
		t.Errorf("running members after unblock %v", m)
	}
	// Unblocking again changes nothing and commits nothing.
	if err := c.UnblockIP(ctx, "203.0.113.9", ""); err != nil || fw.Commits() != 2 {
		t.Errorf("second unblock: %v, %d commits", err, fw.Commits())
	}
}

// TestBlocked: the state is the running group's membership: off before,
// in force once the commit is done, off after the unblock; a member
// someone else put there is in force too; one only in the candidate (a
// failed commit) is not.
func TestBlocked(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey, panostest.WithGroup("vsys1", group, "socflow-198.51.100.7"))
	ctx := context.Background()
	check := func(ip string, want bool) {
		t.Helper()
		b, err := c.Blocked(ctx, ip)
		if err != nil || b.InForce != want || b.Object != "socflow-"+ip {
			t.Fatalf("Blocked(%s) = %+v, %v; want in force %v", ip, b, err, want)
		}
	}
	check("198.51.100.7", true)
	check("203.0.113.9", false)
	if _, err := c.BlockIP(ctx, "203.0.113.9", "c"); err != nil {
		t.Fatal(err)
	}
	check("203.0.113.9", true)
	if err := c.UnblockIP(ctx, "203.0.113.9", ""); err != nil {
		t.Fatal(err)
	}
	check("203.0.113.9", false)

	fw.FailCommit("validation failed")
	if _, err := c.BlockIP(ctx, "192.0.2.5", "c"); err == nil {
		t.Fatal("a failed commit blocked")
	}
	check("192.0.2.5", false)
	if _, err := c.Blocked(ctx, "192.0.2.0/24"); err == nil {
		t.Error("a range was read")
	}
	fw.FailNext("config/show", http.StatusServiceUnavailable, 1, "")
	_, err := c.Blocked(ctx, "192.0.2.5")
	var se *httpx.StatusError
	if !errors.As(err, &se) || !se.Retryable() {
		t.Errorf("a 503 read: %v", err)
	}
}

func TestIPv6Name(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey)
	ref, err := c.BlockIP(context.Background(), "2001:db8::1", "c")
	if err != nil || ref != "socflow-2001-db8--1" {
		t.Fatalf("BlockIP = %q, %v", ref, err)
	}
	if v, _ := fw.Object("vsys1", ref, true); v != "2001:db8::1/128" {
		t.Errorf("object %q", v)
	}
}

// TestAlreadyBlocked: an address in the running group is not touched
// again and nothing is committed.
func TestAlreadyBlocked(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey, panostest.WithGroup("vsys1", group, "socflow-198.51.100.7"))
	ref, err := c.BlockIP(context.Background(), "198.51.100.7", "c")
	if err != nil || ref != "socflow-198.51.100.7" {
		t.Fatalf("BlockIP = %q, %v", ref, err)
	}
	for _, call := range fw.Calls() {
		if call.Action == "set" || call.Type == "commit" {
			t.Errorf("changed a blocked address: %+v", call)
		}
	}
}

// TestCommitFailure: a commit job that finishes FAIL is an error naming
// its details, not retried (the same commit fails again); the next block
// finds the change only in the candidate, and commits it.
func TestCommitFailure(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey, panostest.WithCommitPolls(2))
	fw.FailCommit("rule deny-socflow: address-group socflow-blocked is not valid")
	_, err := c.BlockIP(context.Background(), "198.51.100.7", "c")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Retryable() || !strings.Contains(err.Error(), "is not valid") || !strings.Contains(err.Error(), "FAIL") {
		t.Fatalf("failed commit: %v", err)
	}
	if m := fw.Members("vsys1", group, true); len(m) != 0 {
		t.Errorf("running members after a failed commit %v", m)
	}
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); err != nil || fw.Commits() != 2 {
		t.Errorf("retry: %v after %d commits", err, fw.Commits())
	}
	if m := fw.Members("vsys1", group, true); len(m) != 1 {
		t.Errorf("running members after the retry %v", m)
	}
}

func TestKeyRefused(t *testing.T) {
	_, c := start(t, "wrong-key")
	_, err := c.BlockIP(context.Background(), "198.51.100.7", "c")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusForbidden || se.Retryable() || !strings.Contains(se.Body, "Invalid credentials") {
		t.Fatalf("refused key: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("error shows the key: %v", err)
	}
}

// TestFaults: a 5xx from the firewall is retryable; an error answer with
// HTTP 200 is classified by its PAN-OS code; a bad address is refused
// before any call.
func TestFaults(t *testing.T) {
	fw, c := start(t, panostest.DefaultKey)
	fw.FailNext("config/set", http.StatusServiceUnavailable, 1, "")
	_, err := c.BlockIP(context.Background(), "198.51.100.7", "c")
	var se *httpx.StatusError
	if !errors.As(err, &se) || !se.Retryable() {
		t.Errorf("503: %v", err)
	}
	fw.Fail("commit", panostest.Fault{Status: http.StatusOK, Body: `<response status="error" code="13"><msg><line>Another commit is in progress</line></msg></response>`})
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); !errors.As(err, &se) || !se.Retryable() || !strings.Contains(err.Error(), "Another commit") {
		t.Errorf("commit in progress: %v", err)
	}
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	n := len(fw.Calls())
	if _, err := c.BlockIP(context.Background(), "198.51.100.7']/x", "c"); !errors.As(err, &se) || se.Code != 400 || len(fw.Calls()) != n {
		t.Errorf("bad address: %v", err)
	}
	if err := c.UnblockIP(context.Background(), "", "rule-1"); !errors.As(err, &se) || se.Code != 400 {
		t.Errorf("foreign ref: %v", err)
	}
}

// TestPollStopsWithTheContext: a commit job that never finishes is given
// up on when the caller's context ends.
func TestPollStopsWithTheContext(t *testing.T) {
	_, c := start(t, panostest.DefaultKey, panostest.WithCommitPolls(1<<30))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.BlockIP(ctx, "198.51.100.7", "c"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("endless commit: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, cfg := range []panos.Config{
		{URL: "https://fw", AddressGroup: group},
		{URL: "fw", Key: "k", AddressGroup: group},
		{URL: "https://fw", Key: "k", AddressGroup: "x']/y"},
		{URL: "https://fw", Key: "k", AddressGroup: group, Vsys: "all"},
	} {
		if _, err := panos.New(nil, cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
