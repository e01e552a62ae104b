package integration

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/workflows"
)

// containAndUndo approves the isolation of the incident's host, sees it
// pending verification, then verified, then marks the incident a false
// positive and sees the isolation undone; isolated reports the fake
// EDR's view of the host.
func containAndUndo(t *testing.T, s *stack, key, action string, isolated func() bool) {
	t.Helper()
	st := s.waitStatus(key, 30*time.Second, workflows.StatusAwaiting)
	if !strings.Contains(mustJSON(st.Proposed), action) {
		t.Fatalf("proposed %s, want %s", mustJSON(st.Proposed), action)
	}
	decide(t, s, key, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Actions: []string{action}})
	eventually(t, 20*time.Second, "isolation pending verification", func() (bool, string) {
		st = s.waitStatus(key, 10*time.Second, workflows.StatusContaining, workflows.StatusContained)
		for _, r := range st.Results {
			if r.Action.ID == action && r.Status == alert.ActionPending {
				return true, ""
			}
		}
		return false, mustJSON(st.Results)
	})
	st = s.waitStatus(key, 30*time.Second, workflows.StatusContained)
	r := st.Results[len(st.Results)-1]
	if r.Status != alert.ActionDone || r.VerifiedAt.IsZero() || !isolated() {
		t.Fatalf("after verification: %s (verified %v), EDR isolated %v", r.Status, r.VerifiedAt, isolated())
	}
	decide(t, s, key, workflows.DecideInput{Verdict: alert.VerdictFalsePositive, By: "alice", Note: "test machine"})
	st = s.waitStatus(key, 40*time.Second, workflows.StatusFalsePositive)
	r = st.Results[len(st.Results)-1]
	if r.Status != alert.ActionReverted || isolated() {
		t.Fatalf("after false positive: %s, EDR isolated %v; want reverted and released", r.Status, isolated())
	}
	if !strings.Contains(mustJSON(st.Timeline), "reverted 1 action(s)") {
		t.Errorf("timeline: %s", mustJSON(st.Timeline))
	}
}

// A Falcon host, named by the detection event's hostname and agent ID:
// approve, pending, verified by the device's status, false positive,
// containment lifted.
func TestFalconHostContainedVerifiedAndUndone(t *testing.T) {
	const id = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	fake := falcontest.New(falcontest.WithPendingReads(1), falcontest.WithDevices(
		falcontest.Device{DeviceID: id, Hostname: "FIN-LT-0419"},
		// Another device of the same name, enrolled again: only the ID
		// tells them apart.
		falcontest.Device{DeviceID: "0123456789abcdef0123456789abcdef", Hostname: "FIN-LT-0419"},
	))
	s := startStack(t, stackOptions{falcon: fake})
	body, err := os.ReadFile("../../intake/decode/testdata/falcon/epp_detection_summary_caps.json")
	if err != nil {
		t.Fatal(err)
	}
	// As an execution detection it is malware on the host (a credential
	// access one would route to the account).
	body = []byte(strings.NewReplacer(`"Credential Access"`, `"Execution"`, `"TA0006"`, `"TA0002"`).Replace(string(body)))
	if code := s.post("/v1/alerts", "application/json", body, nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/alerts = %d", code)
	}
	containAndUndo(t, s, "host:fin-lt-0419", "isolate_host:fin-lt-0419", func() bool { return fake.Contained(id) })
	if other := fake.Status("0123456789abcdef0123456789abcdef"); other != falcontest.StatusNormal {
		t.Errorf("the other device of the same name is %s, want normal", other)
	}
}

// A Defender machine the alert names only by machineId: the incident
// keys on the ID, and the isolation resolves it by ID.
func TestDefenderMachineKnownOnlyByIDContainedVerifiedAndUndone(t *testing.T) {
	const id = "cc33dd44ee55ff6677889900aabbccddeeff0011"
	fake := defendertest.New(defendertest.WithToken("t"), defendertest.WithPendingReads(1),
		defendertest.WithMachines(defendertest.Machine{ID: id, ComputerDNSName: "ws-0117.corp.example"}))
	s := startStack(t, stackOptions{edr: fake})
	body, err := os.ReadFile("../../intake/decode/testdata/defender/machine_id_only.json")
	if err != nil {
		t.Fatal(err)
	}
	if code := s.post("/v1/alerts", "application/json", body, nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/alerts = %d", code)
	}
	containAndUndo(t, s, "host:"+id, "isolate_host:"+id, func() bool { return fake.Isolated("ws-0117.corp.example") })
}
