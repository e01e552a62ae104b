package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socflow/socflow/alert"
)

// newBrowser starts headless Chromium for t, or skips t without one. On
// failure it saves a full-page screenshot of where the browser was, to
// $SOCFLOW_TEST_ARTIFACTS or tests/browser/artifacts/, and logs the path.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium: set SOCFLOW_TEST_CHROMIUM or put chromium on PATH (scripts/with-chromium installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		// Chromium refuses to run as root with its sandbox; CI containers
		// run as root.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelCtx)
	// The first call starts the browser, which lives as long as its
	// context: no deadline here; each action gets its own (do, get).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", bin, err)
	}
	// Registered last, so it runs first: while the browser still lives.
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx)
		}
	})
	return ctx
}

func screenshot(t *testing.T, ctx context.Context) {
	dir := os.Getenv("SOCFLOW_TEST_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	url, _ := chromedp.Run(sctx, chromedp.Location())
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	path, _ := filepath.Abs(filepath.Join(dir, name+".png"))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot of %s saved to %s", url, path)
}

// actionTimeout bounds one browser step: a page that never shows what a
// step waits for fails the test instead of hanging it.
const actionTimeout = 30 * time.Second

// run runs browser steps with a deadline of their own, failing t.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := runErr(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func runErr(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	return chromedp.Do(actx, steps...)
}

// get runs one action that reads something, with its own deadline.
func get[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	return chromedp.Run(actx, a)
}

// must is get, failing t.
func must[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := get(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signIn signs in on the login page with token.
func signIn(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(base+"/ui/login"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("incidents")),
	)
}

// rows reads the list: "key priority" per incident, top to bottom.
func rows(ctx context.Context) ([]string, error) {
	return get(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#incidents tr.incident")).map(r => r.dataset.key + " " + r.cells[0].innerText.trim().split(/\s+/)[0])`))
}

// TestIncidentView walks the view as a responder would: the list of the
// seeded incidents by priority, a filter, an incident of three sources'
// alerts, and a decision made on its page.
func TestIncidentView(t *testing.T) {
	ctx := newBrowser(t)
	start := time.Now()
	s := startStack(t)
	t.Logf("stack up in %s", time.Since(start).Round(time.Millisecond))

	// A P1 on the domain controller, a P4 on the printer, and on app01 a
	// network, an endpoint and a cloud alert, one after the other.
	s.submit(readExample(t, "network-anomaly-printer.json"))
	s.submit(readExample(t, "network-anomaly-dc01.json"))
	s.submit(alertJSON("suricata", "network", "ET POLICY outbound TLS to rare domain", "Rare TLS from app01", "app01", 0))
	s.waitIncident("host:app01", 1)
	s.submit(alertJSON("defender", "malware", "Suspicious PowerShell", "Encoded PowerShell on app01 <script>alert(1)</script>", "app01", 1))
	s.waitIncident("host:app01", 2)
	s.submit(alertJSON("guardduty", "cloud", "UnauthorizedAccess:EC2/TorClient", "Tor client on app01", "app01", 2))
	s.waitIncident("host:app01", 3)
	dc01 := s.waitIncident("host:dc01", 1)
	s.waitIncident("host:prn-01", 1)
	if dc01.Score.Priority != alert.P1 {
		t.Fatalf("dc01 is %s, want P1 (the example's tier 1 asset)", dc01.Score.Priority)
	}

	signIn(t, ctx, s.api.URL, s.tokens["carol"])

	// The list: every seeded incident, the most urgent first.
	var list []string
	eventually(t, 30*time.Second, "the list shows the three incidents", func() (bool, string) {
		_ = runErr(ctx, chromedp.Navigate(s.api.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("incidents")))
		var err error
		list, err = rows(ctx)
		return err == nil && len(list) == 3, fmt.Sprintf("%v %v", list, err)
	})
	rank := func(row string) int { return alert.Priority(row[strings.LastIndex(row, " ")+1:]).Rank() }
	for i := 1; i < len(list); i++ {
		if rank(list[i-1]) < rank(list[i]) {
			t.Errorf("list not by priority: %v", list)
		}
	}
	if !strings.HasPrefix(list[0], "host:dc01 P1") || !strings.HasPrefix(list[2], "host:prn-01 P4") {
		t.Errorf("list %v: want dc01 (P1) first and the printer (P4) last", list)
	}
	// Its SLA column, from the incident's memo: a P1 opened moments ago
	// has its 15 minutes to be acknowledged.
	sla, err := get(ctx, chromedp.Evaluate[string](`(r => r.cells[r.cells.length-1].innerText.trim())(document.querySelector('#incidents tr.incident[data-key="host:dc01"]'))`))
	if err != nil || sla != "on time" {
		t.Errorf("dc01's SLA column reads %q (%v), want on time", sla, err)
	}

	// A filter narrows it: the form's priority, then Filter.
	run(t, ctx, "filter by P1",
		chromedp.SetValue(chromedp.CSS(`select[name="priority"]`), "P1"),
		chromedp.Click(chromedp.ID("apply")),
	)
	eventually(t, 30*time.Second, "the P1 filter narrows the list", func() (bool, string) {
		loc, _ := get(ctx, chromedp.Location())
		list, err := rows(ctx)
		return strings.Contains(loc, "priority=P1") && err == nil && len(list) == 1 && strings.HasPrefix(list[0], "host:dc01"),
			fmt.Sprintf("%s: %v %v", loc, list, err)
	})
	// And an entity filter, typed in.
	run(t, ctx, "filter by host",
		chromedp.Navigate(s.api.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.ID("incidents")),
		chromedp.SendKeys(chromedp.CSS(`input[name="entity"]`), "app01"),
		chromedp.Click(chromedp.ID("apply")),
	)
	eventually(t, 30*time.Second, "the entity filter narrows the list", func() (bool, string) {
		list, err := rows(ctx)
		return err == nil && len(list) == 1 && strings.HasPrefix(list[0], "host:app01"), fmt.Sprintf("%v %v", list, err)
	})

	// The drill filter's query runs on the real visibility store: none of
	// these is a drill, and incidents written before SocflowDrill count
	// as real too.
	for q, want := range map[string]int{"drill=real": 3, "drill=drill": 0, "since=2000-01-01&open=true": 3, "until=2000-01-01": 0} {
		run(t, ctx, "filter "+q, chromedp.Navigate(s.api.URL+"/ui/?"+q), chromedp.WaitVisible(chromedp.ID("incidents")))
		if list, err := rows(ctx); err != nil || len(list) != want {
			t.Errorf("?%s: %v %v, want %d incidents", q, list, err, want)
		}
	}

	// The incident of three sources: its alerts in the order they came,
	// its score's factors, its proposed actions; hostile text stays text.
	run(t, ctx, "open app01",
		chromedp.Navigate(s.api.URL+"/ui/?entity=app01"),
		chromedp.Click(chromedp.CSS(`tr[data-key="host:app01"] a`)),
		chromedp.WaitVisible(chromedp.ID("alerts")),
	)
	sources := must(t, ctx, "alert sources", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#alerts tr.alert")).map(r => r.dataset.source)`))
	factors := must(t, ctx, "score factors", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#factors tr.factor")).map(r => r.cells[0].innerText)`))
	actions := must(t, ctx, "proposed actions", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#decide-form input[name=action]")).map(i => i.value)`))
	titles := must(t, ctx, "alert titles", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#alerts tr.alert .alert-title")).map(c => c.innerText)`))
	title := strings.Join(titles, " | ")
	// Each alert with its own entities, read from its alert run.
	entities := must(t, ctx, "alert entities", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#alerts tr.alert")).map(r => r.cells[4].innerText)`))
	for i, e := range entities {
		if !strings.Contains(e, "host app01") || !strings.Contains(e, "ip 198.51.100.") {
			t.Errorf("alert %d entities %q, want its host and address", i, e)
		}
	}
	if strings.Join(sources, " ") != "suricata defender guardduty" {
		t.Errorf("alerts %v, want suricata, defender, guardduty in time order", sources)
	}
	if len(factors) == 0 {
		t.Errorf("no score factor shown")
	}
	if len(actions) == 0 {
		t.Errorf("no proposed action offered")
	}
	injected := must(t, ctx, "look for injected script", chromedp.Evaluate[bool](`document.querySelectorAll("main script, main img").length > 0`))
	if injected || !strings.Contains(title, "<script>alert(1)</script>") {
		t.Errorf("alert title %q, script elements in the page: %v; want the title shown as text", title, injected)
	}

	// A decision on dc01's page: approve blocking the address only.
	run(t, ctx, "approve on dc01",
		chromedp.Navigate(s.api.URL+"/ui/incidents/host:dc01"),
		chromedp.WaitVisible(chromedp.ID("decide-form")),
		chromedp.Click(chromedp.CSS(`input[value="isolate_host:dc01"]`)),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	flash := must(t, ctx, "read the outcome", chromedp.Text(chromedp.ID("flash")))
	if !strings.Contains(flash, "Your approve was") || strings.Contains(flash, "refused") {
		t.Errorf("outcome %q, want the approval accepted", flash)
	}
	eventually(t, time.Minute, "the decision and the containment in dc01's timeline", func() (bool, string) {
		_ = runErr(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("timeline")))
		lines, _ := get(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#timeline tr.line")).map(r => r.innerText)`))
		decided, contained := false, false
		for _, l := range lines {
			decided = decided || strings.Contains(l, "decide") && strings.Contains(l, "carol")
			contained = contained || strings.Contains(l, "contain") && strings.Contains(l, "203.0.113.7")
		}
		return decided && contained, strings.Join(lines, "\n")
	})
	if !s.edr.Blocked("203.0.113.7") || s.edr.Isolated("dc01") {
		t.Errorf("EDR: 203.0.113.7 blocked %v, dc01 isolated %v; want only the approved block", s.edr.Blocked("203.0.113.7"), s.edr.Isolated("dc01"))
	}
	t.Logf("whole walk in %s", time.Since(start).Round(time.Millisecond))
}

// TestRefusedVisit: a browser without a session sees the login page, not
// the incident; a viewer signs in and sees no decide form.
func TestRefusedVisit(t *testing.T) {
	ctx := newBrowser(t)
	s := startStack(t)
	s.submit(readExample(t, "network-anomaly-dc01.json"))
	s.waitIncident("host:dc01", 1)

	run(t, ctx, "visit without a session",
		chromedp.Navigate(s.api.URL+"/ui/incidents/host:dc01"),
		chromedp.WaitVisible(chromedp.ID("login")),
	)
	loc := must(t, ctx, "location", chromedp.Location())
	body := must(t, ctx, "the page's text", chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(loc, "/ui/login?next=") || strings.Contains(body, "Inbound SMB") || strings.Contains(body, "203.0.113.7") {
		t.Errorf("at %s the page shows:\n%s", loc, body)
	}

	run(t, ctx, "a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "sft_not-a-token"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("problem")),
	)
	body = must(t, ctx, "the problem", chromedp.Text(chromedp.ID("problem")))
	if !strings.Contains(body, "Unknown, expired or revoked token") {
		t.Errorf("wrong token: %q", body)
	}

	// The viewer is sent back to the page first asked for.
	run(t, ctx, "sign in as a viewer",
		chromedp.Navigate(s.api.URL+"/ui/incidents/host:dc01"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.tokens["victor"]),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	forms := must(t, ctx, "count decide forms", chromedp.Evaluate[int](`document.querySelectorAll("#decide-form").length`))
	if forms != 0 {
		t.Errorf("a viewer is shown the decide form")
	}
}
