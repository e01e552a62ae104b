package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Severity is socflow's five-step severity scale. Decoders map each vendor's
// own scale onto it; scoring turns it into a base score.
type Severity string

// The severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severityRank = map[Severity]int{
	SeverityInfo: 0, SeverityLow: 1, SeverityMedium: 2, SeverityHigh: 3, SeverityCritical: 4,
}

// SeverityNames lists the valid severities, lowest first.
func SeverityNames() []string {
	return []string{"info", "low", "medium", "high", "critical"}
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool {
	_, ok := severityRank[s]
	return ok
}

// Rank orders severities: info is 0, critical is 4, an invalid one is -1.
func (s Severity) Rank() int {
	if r, ok := severityRank[s]; ok {
		return r
	}
	return -1
}

// ParseSeverity accepts the names in any case, common synonyms
// ("informational", "moderate", "severe"), and a number, read as a 0-100
// risk score. Vendor decoders map their own numeric scales before calling it,
// because "3" means different things to different products.
func ParseSeverity(s string) (Severity, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "info", "informational", "information", "none", "unknown":
		return SeverityInfo, nil
	case "low", "minor":
		return SeverityLow, nil
	case "medium", "moderate", "med", "warning":
		return SeverityMedium, nil
	case "high", "major", "severe", "error":
		return SeverityHigh, nil
	case "critical", "crit", "fatal":
		return SeverityCritical, nil
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return SeverityFromScore(n), nil
	}
	return "", fmt.Errorf("unknown severity %q: want one of %s", s, strings.Join(SeverityNames(), ", "))
}

// SeverityFromScore maps a 0-100 risk score (the scale Elastic and OCSF-like
// sources use) onto the severity scale.
func SeverityFromScore(n float64) Severity {
	switch {
	case n >= 90:
		return SeverityCritical
	case n >= 70:
		return SeverityHigh
	case n >= 40:
		return SeverityMedium
	case n >= 20:
		return SeverityLow
	default:
		return SeverityInfo
	}
}

// UnmarshalJSON accepts a severity as a string or a number, so the native
// format tolerates the numeric severities many tools emit.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var text string
	if in, ok := PlainJSONString(b); ok {
		// Every alert has one: decoding it as any was a twelfth of a
		// storm alert's decoding.
		return s.set(in)
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case string:
		text = v
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		*s = ""
		return nil
	default:
		return fmt.Errorf("severity must be a string or a number, got %s", string(b))
	}
	return s.set(text)
}

func (s *Severity) set(text string) error {
	if text == "" {
		*s = ""
		return nil
	}
	parsed, err := ParseSeverity(text)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// PlainJSONString returns the text of a JSON string without escapes or
// invalid UTF-8 (its bytes between the quotes), and false for any other
// value, which json.Unmarshal then reads. Decoding reads many such short
// values (severities, the keys formats are detected by), and
// json.Unmarshal of each was a measurable part of a storm's CPU.
func PlainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	if bytes.IndexByte(in, '\\') >= 0 || bytes.IndexByte(in, '"') >= 0 || !utf8.Valid(in) {
		return "", false
	}
	for _, c := range in {
		if c < 0x20 {
			return "", false
		}
	}
	return string(in), true
}
