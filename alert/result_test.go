package alert_test

import (
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func TestActionResultSummary(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	iso := alert.NewAction(alert.ActionIsolateHost, "ws-042", "")
	tests := []struct {
		name string
		r    alert.ActionResult
		want string
	}{
		{"done", alert.ActionResult{Action: iso, Status: alert.ActionDone}, "done"},
		{"done leased", alert.ActionResult{Action: iso, Status: alert.ActionDone, LeaseUntil: now.Add(4 * time.Hour)},
			"done, lease until 16:00Z"},
		{"lease tomorrow", alert.ActionResult{Action: iso, Status: alert.ActionDone, LeaseUntil: now.Add(24 * time.Hour)},
			"done, lease until 2026-03-05 12:00Z"},
		{"lease ran out", alert.ActionResult{Action: iso, Status: alert.ActionDone, LeaseUntil: now.Add(-time.Minute)},
			"done, lease ran out at 11:59Z"},
		{"pending", alert.ActionResult{Action: iso, Status: alert.ActionPending, State: "containment_pending", VerifyBy: now.Add(10 * time.Minute)},
			"pending verification (vendor: containment_pending; verify by 12:10Z)"},
		{"pending overdue", alert.ActionResult{Action: iso, Status: alert.ActionPending, VerifyBy: now.Add(-time.Minute)},
			"pending verification (verify by 11:59Z, overdue)"},
		{"pending bare", alert.ActionResult{Action: iso, Status: alert.ActionPending}, "pending verification"},
		{"unverified", alert.ActionResult{Action: iso, Status: alert.ActionUnverified, State: "Pending"},
			"unverified (vendor's last state: Pending)"},
		{"unverified no state", alert.ActionResult{Action: iso, Status: alert.ActionUnverified}, "unverified (vendor's last state: -)"},
		{"left as found", alert.ActionResult{Action: iso, Status: alert.ActionLeftAsFound, LeaseUntil: now.Add(time.Hour)},
			"left as found (already isolated; socflow will not undo it)"},
		{"left as found user", alert.ActionResult{Action: alert.NewAction(alert.ActionDisableUser, "bob", ""), Status: alert.ActionLeftAsFound},
			"left as found (already disabled; socflow will not undo it)"},
		{"left as found hash", alert.ActionResult{Action: alert.NewAction(alert.ActionBlockHash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""), Status: alert.ActionLeftAsFound},
			"left as found (already blocked; socflow will not undo it)"},
		{"done without an undo", alert.ActionResult{Action: alert.NewAction(alert.ActionRevokeSessions, "bob", ""), Status: alert.ActionDone},
			"done; nothing to undo (sessions cannot be restored)"},
		{"revert failed", alert.ActionResult{Action: iso, Status: alert.ActionRevertFailed}, "revert failed: still in force"},
		{"revert failed state", alert.ActionResult{Action: iso, Status: alert.ActionRevertFailed, State: "contained"},
			"revert failed: still in force (vendor's last state: contained)"},
		{"revert pending", alert.ActionResult{Action: iso, Status: alert.ActionReverting, State: "lift_containment_pending", VerifyBy: now.Add(5 * time.Minute)},
			"revert pending (vendor: lift_containment_pending; verify by 12:05Z)"},
		{"reverted keeps no lease", alert.ActionResult{Action: iso, Status: alert.ActionReverted, LeaseUntil: now.Add(time.Hour)}, "reverted"},
		{"failed", alert.ActionResult{Action: iso, Status: alert.ActionFailed}, "failed"},
		{"skipped", alert.ActionResult{Action: iso, Status: alert.ActionSkipped}, "skipped"},
		{"unknown status", alert.ActionResult{Action: iso, Status: "on_hold"}, "on hold"},
		{"empty status", alert.ActionResult{Action: iso}, "unknown"},
		{"hostile state", alert.ActionResult{Action: iso, Status: alert.ActionUnverified, State: "Pending\n• forged line"},
			"unverified (vendor's last state: Pending • forged line)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Summary(now); got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
		})
	}
}

// Without a now, every time carries its date: there is no day to assume.
func TestActionResultSummaryNoNow(t *testing.T) {
	r := alert.ActionResult{Status: alert.ActionDone, LeaseUntil: time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC)}
	if got, want := r.Summary(time.Time{}), "done, lease until 2026-03-04 16:00Z"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

func TestActionResultLeased(t *testing.T) {
	until := time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		status alert.ActionStatus
		until  time.Time
		want   bool
	}{
		{alert.ActionDone, until, true},
		{alert.ActionPending, until, true},
		{alert.ActionDone, time.Time{}, false},
		{alert.ActionLeftAsFound, until, false},
		{alert.ActionReverted, until, false},
	} {
		if got := (alert.ActionResult{Status: tt.status, LeaseUntil: tt.until}).Leased(); got != tt.want {
			t.Errorf("%s until %v: Leased = %v, want %v", tt.status, tt.until, got, tt.want)
		}
	}
}

// Every kind is valid, and only revoking sessions lacks an undo: the
// saga, the leases and the proposal read NoUndo, so a kind that gains or
// loses its undo must change here first.
func TestActionKinds(t *testing.T) {
	for _, k := range alert.ActionKinds() {
		if !k.Valid() {
			t.Errorf("%s is listed and not valid", k)
		}
		if got := k.NoUndo() != ""; got != (k == alert.ActionRevokeSessions) {
			t.Errorf("%s: no undo %v", k, got)
		}
	}
	if alert.ActionKind("quarantine_mail").Valid() {
		t.Error("an unknown kind is valid")
	}
	if !alert.NewAction(alert.ActionRevokeSessions, "bob", "").Destructive || alert.NewAction(alert.ActionBlockHash, "x", "").Destructive {
		t.Error("revoking sessions signs a user out (destructive); blocking a hash interrupts nobody")
	}
}

func TestHashKind(t *testing.T) {
	for h, want := range map[string]string{
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855": alert.HashSHA256,
		"da39a3ee5e6b4b0d3255bfef95601890afd80709":                         alert.HashSHA1,
		"d41d8cd98f00b204e9800998ecf8427e":                                 alert.HashMD5,
		"d41d8cd98f00b204e9800998ecf8427":                                  "",
		"g41d8cd98f00b204e9800998ecf8427e":                                 "",
		"":                                                                 "",
		"d41d8cd98f00b204 e9800998ecf8427":                                 "",
	} {
		if got := alert.HashKind(h); got != want {
			t.Errorf("HashKind(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	for _, d := range []string{"evil.example", "mail.evil-corp.co.uk", "xn--80ak6aa92e.com", "a1.b2"} {
		if err := alert.CheckDomain(d); err != nil {
			t.Errorf("CheckDomain(%q) = %v, want nil", d, err)
		}
	}
	for d, want := range map[string]string{
		"":                         "no domain",
		"https://evil.example":     "is a URL",
		"evil.example/login":       "no path",
		"evil.example:25":          "no path, port",
		"bob@evil.example":         "user",
		"*.evil.example":           "wildcard",
		"localhost":                "single label",
		"evil..example":            "label \"\"",
		"-evil.example":            "hyphen",
		"203.0.113.7":              "an address",
		"évil.example":             "xn-- form",
		"evil.example\nBcc: x@y.z": "space",
	} {
		if err := alert.CheckDomain(d); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckDomain(%q) = %v, want an error saying %q", d, err, want)
		}
	}
}
