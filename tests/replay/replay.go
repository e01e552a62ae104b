// Package replay keeps socflow's recorded workflow histories and replays
// them with the current code. A change to workflow or playbook code that
// would break runs already in flight fails here, before it reaches a worker.
//
// A recorded history is kept forever. Its file is named for the day and
// the commit it was recorded at (see [FileName]), listed with its SHA-256
// in testdata/histories.sum, and never edited, renamed or deleted: the
// suite fails when one is. Record new ones with `make record-histories`
// (tests/integration, TestRecordHistories*), which names them, refuses to
// overwrite and appends their lines to the manifest.
package replay

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows"
)

// ManifestName is the manifest's file name in the histories' directory.
const ManifestName = "histories.sum"

// Scenario is one path through a workflow that a recorded history must
// cover.
type Scenario struct {
	WorkflowType string
	Name         string
}

func (s Scenario) String() string { return s.WorkflowType + "/" + s.Name }

// Scenarios are the paths the recorded histories must cover, every one of
// them (TestReplayCoversEveryPath). The recorder refuses a scenario that is
// not listed here, so add a new path here first.
var Scenarios = []Scenario{
	{workflows.RespondToAlertType, "new"},                     // one occurrence, enriched, scored, handed off
	{workflows.RespondToAlertType, "duplicate"},               // a duplicate absorbed and forwarded
	{workflows.RespondToAlertType, "suppressed"},              // a suppression rule matched
	{workflows.RespondToAlertType, "correlation_input"},       // feeds a correlation only (generate: false)
	{workflows.RespondToAlertType, "continue_as_new_resume"},  // the run that resumes a rolled-over one
	{workflows.IncidentType, "contained_reverted"},            // approved, contained, reverted as a false positive
	{workflows.IncidentType, "escalated_denied"},              // escalated by one responder, denied by another
	{workflows.IncidentType, "ladder_timeout"},                // nobody answers: every tier times out, then the default
	{workflows.IncidentType, "four_eyes"},                     // two approvers for a destructive action
	{workflows.IncidentType, "saga_compensation"},             // a containment action fails and the earlier ones are undone
	{workflows.IncidentType, "continue_as_new_mid_ladder"},    // the run that resumes one rolled over while a tier awaited its decision
	{workflows.IncidentType, "default_held_revert_four_eyes"}, // the contain default refused (untrusted), two approve, two revert
	{workflows.IncidentType, "follow_up_reenters"},            // marked false positive, a ransomware alert sends it back up to IR
	{workflows.IncidentType, "follows_closed_case"},           // a new case of a key whose incident closed, naming the earlier one
	{workflows.IncidentType, "verified_lease_ended"},          // isolation pending, verified, its lease noticed and run out, the release verified
	{workflows.IncidentType, "sla_breached"},                  // nobody acknowledges: both SLA deadlines pass and are announced, then denied
	{workflows.IncidentType, "phishing_steps"},                // the phishing playbook: enrich again, tell the tier, block the attachment's hash
	{workflows.IncidentType, "account_revoked"},               // account compromise: the tier told, sessions revoked, the account disabled
	{workflows.IncidentType, "standard_denied"},               // an alert no rule routes: the standard playbook, denied
	{workflows.CorrelateType, "fired"},                        // a correlation window that raised its alert
}

// Known reports whether s is one of Scenarios.
func Known(s Scenario) bool {
	for _, k := range Scenarios {
		if k == s {
			return true
		}
	}
	return false
}

// Entry is one line of the manifest:
//
//	<sha256>  <file>  <workflow type>  <scenario>
type Entry struct {
	SHA256   string
	File     string
	Scenario Scenario
}

func (e Entry) String() string {
	return fmt.Sprintf("%s  %s  %s  %s", e.SHA256, e.File, e.Scenario.WorkflowType, e.Scenario.Name)
}

// ReadManifest reads dir/histories.sum. Blank lines and lines starting
// with # are comments.
func ReadManifest(dir string) ([]Entry, error) {
	path := filepath.Join(dir, ManifestName)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay manifest: %w", err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 fields (sha256, file, workflow type, scenario), got %d", path, n, len(fields))
		}
		out = append(out, Entry{SHA256: fields[0], File: fields[1], Scenario: Scenario{fields[2], fields[3]}})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("replay manifest: %w", err)
	}
	return out, nil
}

var manifestMu sync.Mutex

// AppendManifest adds e's line to dir/histories.sum.
func AppendManifest(dir string, e Entry) error {
	manifestMu.Lock()
	defer manifestMu.Unlock()
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("replay manifest: %w", err)
	}
	if _, err := fmt.Fprintln(f, e); err != nil {
		f.Close()
		return fmt.Errorf("replay manifest: %w", err)
	}
	return f.Close()
}

// FileName is the name a history is kept under:
// <YYYYMMDD>-<short commit>[-dirty]-<workflow type, lower case>-<scenario>.json.
func FileName(day time.Time, commit string, s Scenario) string {
	return fmt.Sprintf("%s-%s-%s-%s.json", day.UTC().Format("20060102"), commit, strings.ToLower(s.WorkflowType), s.Name)
}

// LegacyNames are the histories recorded before names carried the date
// and commit (on 2026-11-29, with commit 832cffd). They keep the names
// they were recorded under, as every history does; only new ones follow
// FileName.
var LegacyNames = map[string]Scenario{
	"respond_to_alert.json":              {"RespondToAlert", "duplicate"},
	"incident_contained.json":            {"Incident", "contained_reverted"},
	"incident_escalated_and_denied.json": {"Incident", "escalated_denied"},
}

var fileNameRE = regexp.MustCompile(`^(\d{8})-([0-9a-f]{7,40}(?:-dirty)?)-([a-z]+)-([a-z0-9_]+)\.json$`)

// ParseFileName returns the workflow type (lower case) and scenario a
// history's file name carries, or ok false if it does not follow FileName.
func ParseFileName(name string) (workflowType, scenario string, ok bool) {
	if s, legacy := LegacyNames[name]; legacy {
		return strings.ToLower(s.WorkflowType), s.Name, true
	}
	m := fileNameRE.FindStringSubmatch(name)
	if m == nil {
		return "", "", false
	}
	if _, err := time.Parse("20060102", m[1]); err != nil {
		return "", "", false
	}
	return m[3], m[4], true
}

// SumFile returns the hex SHA-256 of a file.
func SumFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// WorkflowTypeOf returns the workflow type a recorded history started.
func WorkflowTypeOf(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var h struct {
		Events []struct {
			Attrs *struct {
				WorkflowType struct {
					Name string `json:"name"`
				} `json:"workflowType"`
			} `json:"workflowExecutionStartedEventAttributes"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(h.Events) == 0 || h.Events[0].Attrs == nil || h.Events[0].Attrs.WorkflowType.Name == "" {
		return "", fmt.Errorf("%s: the first event is not a workflow start", path)
	}
	return h.Events[0].Attrs.WorkflowType.Name, nil
}

// ReplayFile replays the recorded history at path against the current
// workflows with the given playbooks. It is the one place the replayer is
// built, so that whatever a worker registers (workflows, options, a data
// converter) the replay suite and the recorder register alike.
func ReplayFile(reg *playbooks.Registry, path string) error {
	return ReplayFileWith(reg, path, nil)
}

// ReplayFileWith is ReplayFile with the payload codec the workers that
// wrote the history used (their data and failure converters): a history
// recorded with the codec replays only with its keys. A nil c is the SDK's
// defaults, which read every history recorded so far (they are in clear).
func ReplayFileWith(reg *playbooks.Registry, path string, c *codec.Codec) error {
	if reg == nil {
		return errors.New("replay: no playbook registry")
	}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter:    codec.DataConverter(c),
		FailureConverter: codec.FailureConverter(c),
	})
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	workflows.New(reg).Register(r)
	return r.ReplayWorkflowHistoryFromJSONFile(nil, path)
}
