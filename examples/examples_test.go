// Package examples_test keeps the bundled demo data loadable: every alert
// must decode as the native format and validate, the watchlist and the
// inventory must load with the loaders the worker uses, and each alert must
// still tell the story the demo relies on.
package examples_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/cmdb"
	"github.com/socflow/socflow/integrations/intel"
)

func loadAlert(t *testing.T, path string) *alert.Alert {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// A misspelt field would be silently dropped by intake's decoder and
	// the demo would quietly lose an entity.
	dec.DisallowUnknownFields()
	var a alert.Alert
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &a
}

func TestAlertsAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("alerts", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no alerts in examples/alerts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			loadAlert(t, f)
		})
	}
}

func TestInventory(t *testing.T) {
	inv, err := cmdb.LoadFile("assets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hosts, ips []string
		want       alert.Asset
	}{
		{[]string{"dc01"}, nil, alert.Asset{Name: "dc01", Tier: 1, Role: "domain-controller", Owner: "identity-team", MatchedBy: "hostname"}},
		{nil, []string{"10.0.0.10"}, alert.Asset{Name: "dc01", Tier: 1, Role: "domain-controller", Owner: "identity-team", MatchedBy: "ip"}},
		{[]string{"prn-01"}, nil, alert.Asset{Name: "prn-01", Tier: 4, Role: "printer", MatchedBy: "hostname"}},
		{nil, []string{"10.0.5.20"}, alert.Asset{Name: "prn-01", Tier: 4, Role: "printer", MatchedBy: "ip"}},
		{[]string{"ws-042"}, nil, alert.Asset{Name: "ws-042", Tier: 3, Role: "workstation", Owner: "alice", MatchedBy: "hostname"}},
		{nil, []string{"10.0.1.42"}, alert.Asset{Name: "ws-042", Tier: 3, Role: "workstation", Owner: "alice", MatchedBy: "ip"}},
		{[]string{"web-01"}, nil, alert.Asset{Name: "web-01", Tier: 2, Role: "web-server", MatchedBy: "hostname"}},
		{nil, []string{"10.0.2.80"}, alert.Asset{Name: "web-01", Tier: 2, Role: "web-server", MatchedBy: "cidr"}},
	}
	for _, tt := range tests {
		got := inv.Find(tt.hosts, tt.ips)
		if got == nil {
			t.Errorf("Find(%q, %q) = nil, want %s", tt.hosts, tt.ips, tt.want.Name)
			continue
		}
		if got.Name != tt.want.Name || got.Tier != tt.want.Tier || got.Role != tt.want.Role ||
			(tt.want.Owner != "" && got.Owner != tt.want.Owner) || got.MatchedBy != tt.want.MatchedBy {
			t.Errorf("Find(%q, %q) = %+v, want %+v", tt.hosts, tt.ips, *got, tt.want)
		}
	}
}

// TestDemoStory checks what each demo alert is there to show: a watchlisted
// source hitting a tier 1 server, the same rule on a printer with nothing
// listed, malware whose every artefact is known, and password spraying from
// a listed range.
func TestDemoStory(t *testing.T) {
	ix, err := intel.LoadFile(filepath.Join("intel", "watchlist.csv"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := cmdb.LoadFile("assets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file      string
		category  string
		severity  alert.Severity
		asset     string // "" when the alert names no inventory asset
		tier      int
		wantIntel []string // listed indicators the alert must hit
	}{
		{"network-anomaly-dc01.json", "network", alert.SeverityMedium, "dc01", 1, []string{"203.0.113.7", "203.0.113.0/24"}},
		{"network-anomaly-printer.json", "network", alert.SeverityMedium, "prn-01", 4, nil},
		{"malware-ws042.json", "malware", alert.SeverityHigh, "ws-042", 3, []string{
			"198.51.100.66", "update-check.example.net", "http://update-check.example.net/v2/stage2.bin",
			"7254ef38ded890f2888dcbbfec4539997eb4fee14f6b9d45da647970a2f771af",
		}},
		{"brute-force-user.json", "identity", alert.SeverityHigh, "", 0, []string{"203.0.113.0/24"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a := loadAlert(t, filepath.Join("alerts", tt.file))
			if a.Category != tt.category || a.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s", a.Category, a.Severity, tt.category, tt.severity)
			}

			// The same inputs the RespondToAlert workflow gives enrichment.
			var hosts, hostIPs []string
			for _, h := range a.Entities.Hosts {
				hosts = append(hosts, h.Name)
				hostIPs = append(hostIPs, h.IP...)
			}
			asset := inv.Find(hosts, hostIPs)
			switch {
			case tt.asset == "" && asset != nil:
				t.Errorf("asset = %+v, want none", asset)
			case tt.asset != "" && (asset == nil || asset.Name != tt.asset || asset.Tier != tt.tier):
				t.Errorf("asset = %+v, want %s tier %d", asset, tt.asset, tt.tier)
			}

			var indicators []string
			for _, ip := range a.Entities.IPs {
				indicators = append(indicators, ip.Addr)
			}
			indicators = append(indicators, hostIPs...)
			indicators = append(indicators, a.Entities.Domains...)
			indicators = append(indicators, a.Entities.URLs...)
			indicators = append(indicators, a.Hashes()...)
			var got []string
			for _, ind := range indicators {
				for _, h := range ix.Lookup(ind) {
					if !slices.Contains(got, h.Indicator) {
						got = append(got, h.Indicator)
					}
				}
			}
			for _, w := range tt.wantIntel {
				if !slices.Contains(got, w) {
					t.Errorf("intel hits %q, want %q among them", got, w)
				}
			}
			if len(tt.wantIntel) == 0 && len(got) > 0 {
				t.Errorf("intel hits %q, want none", got)
			}
		})
	}
}
