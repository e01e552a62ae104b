package policy

import (
	"fmt"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// CVSSBase returns the base score (0-10) of a CVSS v3.0, v3.1 or v4.0
// vector, and the version it read. Scoring uses it as the base instead of
// the alert's severity when an alert carries a vector (a vulnerability
// scanner's finding, an exploitation attempt of a known CVE).
func CVSSBase(vector string) (float64, string, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return 0, "", fmt.Errorf("cvss %q: %w", v, err)
		}
		return c.BaseScore(), "3.1", nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return 0, "", fmt.Errorf("cvss %q: %w", v, err)
		}
		return c.BaseScore(), "3.0", nil
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return 0, "", fmt.Errorf("cvss %q: %w", v, err)
		}
		return c.Score(), "4.0", nil
	}
	return 0, "", fmt.Errorf("cvss %q: want a vector starting CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/", v)
}
