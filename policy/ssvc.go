package policy

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/socflow/socflow/alert"
)

//go:embed ssvc_cisa_coordinator.csv
var cisaCoordinatorCSV []byte

// SSVC configures the optional Stakeholder-Specific Vulnerability
// Categorization decision (Track, Track*, Attend, Act) made next to the
// score.
type SSVC struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Table is a decision table in CERT/CC's published CSV layout (a row
	// column, one column per decision point, the outcome last); "" uses the
	// built-in CISA coordinator table.
	Table string `yaml:"table" json:"table,omitempty"`
	// PriorityFloor raises an incident's priority to at least the given one
	// for an outcome, e.g. {act: P1, attend: P2}.
	PriorityFloor map[string]alert.Priority `yaml:"priority_floor" json:"priority_floor,omitempty"`
	// Decisions is the table itself, read when the configuration loads and
	// carried with the policy so that workflows decide from recorded data.
	Decisions *DecisionTable `yaml:"-" json:"decisions,omitempty"`
}

// DecisionTable is an SSVC decision table: every combination of decision
// point values and its outcome.
type DecisionTable struct {
	Name string `json:"name"`
	// Points are the decision points' names, normalised ("exploitation",
	// "automatable", ...).
	Points []string      `json:"points"`
	Rows   []DecisionRow `json:"rows"`
}

// DecisionRow is one line of a decision table.
type DecisionRow struct {
	Values  []string `json:"values"`
	Outcome string   `json:"outcome"`
}

var versionSuffix = regexp.MustCompile(`\s+v\d+(\.\d+)*(\s*\(.*\))?$`)

// normPoint turns "Technical Impact v1.0.0" into "technical impact".
func normPoint(s string) string {
	return strings.ToLower(strings.TrimSpace(versionSuffix.ReplaceAllString(strings.TrimSpace(s), "")))
}

// ParseDecisionTable reads a CSV decision table. Lines starting with '#'
// are comments. Errors name the line.
func ParseDecisionTable(name string, data []byte) (*DecisionTable, error) {
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			lines = append(lines, l)
		} else {
			lines = append(lines, nil) // keep line numbers
		}
	}
	r := csv.NewReader(bytes.NewReader(bytes.Join(lines, []byte("\n"))))
	r.FieldsPerRecord = -1
	t := &DecisionTable{Name: name}
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if t.Points == nil {
			if len(rec) < 3 || normPoint(rec[0]) != "row" {
				return nil, fmt.Errorf("%s:%d: header must be row,<decision points...>,<outcome>", name, line)
			}
			for _, c := range rec[1 : len(rec)-1] {
				t.Points = append(t.Points, normPoint(c))
			}
			continue
		}
		if len(rec) != len(t.Points)+2 {
			return nil, fmt.Errorf("%s:%d: %d columns, want %d", name, line, len(rec), len(t.Points)+2)
		}
		row := DecisionRow{Outcome: strings.ToLower(strings.TrimSpace(rec[len(rec)-1]))}
		for _, v := range rec[1 : len(rec)-1] {
			row.Values = append(row.Values, strings.ToLower(strings.TrimSpace(v)))
		}
		key := strings.Join(row.Values, "|")
		if seen[key] {
			return nil, fmt.Errorf("%s:%d: combination %s appears twice", name, line, key)
		}
		seen[key] = true
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	return t, nil
}

// BuiltinDecisionTable is the CISA coordinator table (Track, Track*,
// Attend, Act).
func BuiltinDecisionTable() *DecisionTable {
	t, err := ParseDecisionTable("cisa-coordinator-2.0.3", cisaCoordinatorCSV)
	if err != nil {
		panic("policy: built-in SSVC table: " + err.Error())
	}
	return t
}

// Decide returns the outcome for the given decision point values (keyed by
// normalised point name).
func (t *DecisionTable) Decide(values map[string]string) (string, error) {
	want := make([]string, len(t.Points))
	for i, p := range t.Points {
		v, ok := values[p]
		if !ok {
			return "", fmt.Errorf("ssvc: no value for decision point %q", p)
		}
		want[i] = v
	}
	for _, r := range t.Rows {
		if equalStrings(r.Values, want) {
			return r.Outcome, nil
		}
	}
	return "", fmt.Errorf("ssvc: table %s has no row for %s", t.Name, strings.Join(want, ", "))
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SSVCInputs derives the CISA decision points from what socflow knows. An
// alert label "ssvc_<point>" (spaces as underscores, e.g.
// ssvc_exploitation=active; the key's case does not matter) always wins.
// When several labels name the same point, the one spelled as documented
// (lower case, underscores) wins, then the key first in byte order, so the
// result never depends on the order the labels map iterates in. Otherwise:
//
//   - exploitation: active when an intel hit has confidence >= 70 (the
//     indicator is attributed to real attackers), public poc when any hit
//     exists, else none;
//   - automatable: yes when the alert repeated 10 times or more (machine
//     speed), else no;
//   - technical impact: total for critical alerts and for malware,
//     ransomware and exfiltration, else partial;
//   - mission and well-being impact: from the asset's criticality tier:
//     1-2 high, 3 medium, 4 low; unknown assets medium.
func SSVCInputs(a *alert.Alert, ctx *alert.ContextPacket, count int) map[string]string {
	in := map[string]string{
		"exploitation":                  "none",
		"automatable":                   "no",
		"technical impact":              "partial",
		"mission and well-being impact": "medium",
	}
	if ctx != nil {
		for _, h := range ctx.IntelHits {
			if h.Confidence >= 70 {
				in["exploitation"] = "active"
				break
			}
			in["exploitation"] = "public poc"
		}
		if ctx.Asset != nil {
			switch {
			case ctx.Asset.Tier <= 2:
				in["mission and well-being impact"] = "high"
			case ctx.Asset.Tier == 3:
				in["mission and well-being impact"] = "medium"
			default:
				in["mission and well-being impact"] = "low"
			}
		}
	}
	if count >= 10 {
		in["automatable"] = "yes"
	}
	switch strings.ToLower(a.Category) {
	case "malware", "ransomware", "exfiltration":
		in["technical impact"] = "total"
	}
	if a.Severity == alert.SeverityCritical {
		in["technical impact"] = "total"
	}
	// Byte order first, then the documented spelling over any other, so
	// each point's winner is the same whatever order the map iterates in.
	keys := slices.Sorted(maps.Keys(a.Labels))
	chosen := map[string]string{}
	for _, k := range keys {
		p, ok := strings.CutPrefix(strings.ToLower(k), "ssvc_")
		if !ok {
			continue
		}
		point := strings.ReplaceAll(p, "_", " ")
		if _, seen := chosen[point]; !seen || k == "ssvc_"+strings.ReplaceAll(point, " ", "_") {
			chosen[point] = k
		}
	}
	for point, k := range chosen {
		in[point] = strings.ToLower(strings.TrimSpace(a.Labels[k]))
	}
	return in
}
