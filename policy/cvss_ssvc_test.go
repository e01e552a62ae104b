package policy_test

import (
	"bufio"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
)

func TestCVSSBase(t *testing.T) {
	for _, tc := range []struct {
		vector  string
		score   float64
		version string
		err     bool
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "3.1", false},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "3.1", false},
		{"CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8, "3.0", false},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "4.0", false},
		{"CVSS:3.1/AV:N/AC:L", 0, "", true},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", 0, "", true},
	} {
		got, ver, err := policy.CVSSBase(tc.vector)
		if (err != nil) != tc.err || (!tc.err && (got != tc.score || ver != tc.version)) {
			t.Errorf("CVSSBase(%q) = %v, %q, %v; want %v, %q, error %v", tc.vector, got, ver, err, tc.score, tc.version, tc.err)
		}
	}
}

// TestCVSSAgainstRealVectors checks the library against Red Hat's
// published vectors and scores, when the shared real data is present.
func TestCVSSAgainstRealVectors(t *testing.T) {
	f, err := os.Open("../../shared/realdata/scoring/cvss/redhat_vectors_simple31.txt")
	if err != nil {
		t.Skip("real data not present:", err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^(CVSS:3\.[01]/\S+) - \(([\d.]+),`)
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		g := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if g == nil {
			continue
		}
		want, _ := strconv.ParseFloat(g[2], 64)
		got, _, err := policy.CVSSBase(g[1])
		if err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: got %v (%v), want %v", g[1], got, err, want)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("checked only %d vectors", n)
	}
}

func TestScoreUsesCVSSBase(t *testing.T) {
	pol := config.Default().Policy
	a := &alert.Alert{Source: "scanner", Rule: "CVE-2024-3400 exploitation", Title: "x", Severity: alert.SeverityLow,
		CVSS: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
	s := pol.Score(a, &alert.ContextPacket{}, 1)
	if s.Value != 98 || s.Factors[0].Name != "cvss" {
		t.Fatalf("score %d, first factor %+v; want 98 from the CVSS base", s.Value, s.Factors[0])
	}
}

func TestSSVCDecisionTable(t *testing.T) {
	tbl := policy.BuiltinDecisionTable()
	if len(tbl.Rows) != 36 || len(tbl.Points) != 4 {
		t.Fatalf("table has %d rows and %d points, want 36 and 4", len(tbl.Rows), len(tbl.Points))
	}
	for _, tc := range []struct {
		in   [4]string
		want string
	}{
		{[4]string{"none", "no", "partial", "low"}, "track"},
		{[4]string{"none", "no", "total", "high"}, "track*"},
		{[4]string{"public poc", "yes", "partial", "high"}, "attend"},
		{[4]string{"active", "yes", "total", "high"}, "act"},
		{[4]string{"active", "no", "total", "high"}, "act"},
	} {
		got, err := tbl.Decide(map[string]string{"exploitation": tc.in[0], "automatable": tc.in[1], "technical impact": tc.in[2], "mission and well-being impact": tc.in[3]})
		if err != nil || got != tc.want {
			t.Errorf("Decide(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := tbl.Decide(map[string]string{"exploitation": "active"}); err == nil {
		t.Error("a missing decision point must be an error")
	}
	if _, err := policy.ParseDecisionTable("t.csv", []byte("row,a,b,out\n0,x,y,track\n1,x,y,act\n")); err == nil || !strings.Contains(err.Error(), "t.csv:3") {
		t.Errorf("duplicate row: %v", err)
	}
}

func TestSSVCRaisesPriorityFloor(t *testing.T) {
	pol := config.Default().Policy
	// Ransomware on a tier-2 server with a confident C2 hit, repeating:
	// active, automatable, total, high -> act -> at least P1.
	a := &alert.Alert{Source: "edr", Rule: "r", Title: "x", Category: "ransomware", Severity: alert.SeverityLow}
	ctx := &alert.ContextPacket{Asset: &alert.Asset{Name: "srv", Tier: 2}, IntelHits: []alert.IntelHit{{Indicator: "i", Confidence: 90}}}
	s := pol.Score(a, ctx, 16)
	if s.SSVC != "act" || s.Priority != alert.P1 {
		t.Fatalf("SSVC %q priority %s (score %d); want act and P1:\n%s", s.SSVC, s.Priority, s.Value, s.Explain())
	}
	pol.Scoring.SSVC.Enabled = false
	if s := pol.Score(a, ctx, 16); s.Priority == alert.P1 || s.SSVC != "" {
		t.Fatalf("without SSVC the score alone decides: %s %q", s.Priority, s.SSVC)
	}
}

// TestSSVCInputsLabelCase checks that labels naming the same decision
// point in different spellings give one answer however the labels map
// iterates: the documented spelling wins, then the key first in byte order.
func TestSSVCInputsLabelCase(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		point  string
		want   string
	}{
		{"canonical over upper case", map[string]string{"SSVC_Exploitation": "none", "ssvc_exploitation": "active"}, "exploitation", "active"},
		{"canonical over two other cases", map[string]string{"ssvc_exploitation": "public poc", "SSVC_EXPLOITATION": "none", "Ssvc_Exploitation": "active"}, "exploitation", "public poc"},
		{"no canonical key: first in byte order", map[string]string{"Ssvc_Exploitation": "none", "SSVC_Exploitation": "active"}, "exploitation", "active"},
		{"canonical over a space", map[string]string{"ssvc_technical impact": "total", "ssvc_technical_impact": "partial"}, "technical impact", "partial"},
	}
	a := &alert.Alert{Source: "edr", Rule: "r", Title: "x", Severity: alert.SeverityLow}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.Labels = tt.labels
			// Go randomises map iteration per range, so a hundred calls
			// see every order of two or three keys.
			for range 100 {
				if got := policy.SSVCInputs(a, nil, 1)[tt.point]; got != tt.want {
					t.Fatalf("%s = %q, want %q", tt.point, got, tt.want)
				}
			}
		})
	}
}
