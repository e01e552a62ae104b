package alert_test

import (
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func TestIncidentMetadata(t *testing.T) {
	a := alert.Alert{Source: "suricata", Rule: "ET SCAN", Title: "Inbound SMB\nto dc01", Drill: true,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "dc01"}}, Users: []alert.User{{Name: "bob"}}}}
	md := alert.IncidentMetadata("host:dc01", a, alert.Score{Value: 100, Priority: alert.P1})
	if want := "[DRILL] P1 · Inbound SMB to dc01 · host dc01 · user bob · rule ET SCAN"; md.Summary != want {
		t.Errorf("summary %q, want %q", md.Summary, want)
	}
	for _, want := range []string{"**Incident**: host:dc01  \n", "**Priority**: P1, score 100/100", "**Drill**: yes"} {
		if !strings.Contains(md.Details, want) {
			t.Errorf("details lack %q:\n%s", want, md.Details)
		}
	}

	a.Drill = false
	a.Title = strings.Repeat("é", 300) + " [click](https://evil.example)"
	md = alert.IncidentMetadata("host:dc01", a, alert.Score{Priority: alert.P2})
	if len(md.Summary) > alert.MaxUISummaryBytes || !strings.HasPrefix(md.Summary, "P2 · é") || !strings.HasSuffix(md.Summary, "…") {
		t.Errorf("summary of %d bytes %q, want P2 first and cut to %d", len(md.Summary), md.Summary, alert.MaxUISummaryBytes)
	}
	if strings.Contains(md.Details, "[click](") {
		t.Errorf("an alert title made a link in the details:\n%s", md.Details)
	}
}

func TestCurrentDetails(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c := alert.IncidentCard{Status: alert.StatusAwaiting, Tier: "IR", Channel: "#soc-ir", Score: alert.Score{Value: 90, Priority: alert.P1}, Alerts: 2, Occurrences: 5}
	m := alert.Milestones{Opened: t0, AcknowledgeDue: t0.Add(15 * time.Minute), ContainDue: t0.Add(time.Hour), Acknowledged: t0.Add(20 * time.Minute)}
	got := alert.CurrentDetails(c, m, t0.Add(30*time.Minute))
	for _, want := range []string{
		"**Status**: awaiting decision", "**Tier**: IR, asked in \\#soc-ir", "**Alerts**: 2 (5 occurrences)",
		"**SLA acknowledge**: breached: 2026-12-07T10:20:00Z, due 2026-12-07T10:15:00Z", "**SLA contain**: due 2026-12-07T11:00:00Z",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("current details lack %q:\n%s", want, got)
		}
	}
}
