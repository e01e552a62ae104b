package cmdb_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/cmdb"
)

var _ activities.AssetInventory = (*cmdb.Inventory)(nil)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const inventoryYAML = `# demo inventory
assets:
  - name: dc01
    ips: [10.0.0.10]
    owner: identity-team
    role: domain-controller
    tier: 1
    tags: [ad, crown-jewel]
  - name: ws-042.corp.example
    ips: ["10.0.1.42", "2001:db8:1::42"]
    owner: alice
    role: workstation
    tier: 3
  - name: web-01
    cidrs: [10.0.2.0/24]
    owner: web-team
    role: web-server
    tier: 2
  - name: web-canary
    cidrs: [10.0.2.128/25, "2001:db8:2::/48"]
    role: web-server
    tier: 2
  - name: core-net
    cidrs: [10.0.0.0/8]
    role: network
    tier: 4
  - name: app.eu.example
    tier: 2
  - name: app.us.example
    tier: 3
`

func TestFind(t *testing.T) {
	inv, err := cmdb.LoadFile(writeFile(t, "assets.yaml", inventoryYAML))
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if inv.Len() != 7 {
		t.Errorf("Len() = %d, want 7", inv.Len())
	}
	tests := []struct {
		name      string
		hosts     []string
		ips       []string
		wantName  string // "" for no match
		wantMatch string
	}{
		{"exact name", []string{"dc01"}, nil, "dc01", "hostname"},
		{"name any case, trailing dot", []string{" DC01. "}, nil, "dc01", "hostname"},
		{"qualified query, short record", []string{"dc01.corp.example"}, nil, "dc01", "hostname"},
		{"short query, qualified record", []string{"WS-042"}, nil, "ws-042.corp.example", "hostname"},
		{"qualified query, qualified record", []string{"ws-042.corp.example"}, nil, "ws-042.corp.example", "hostname"},
		{"other domain does not match qualified record", []string{"ws-042.lab.example"}, nil, "", ""},
		{"ambiguous short name matches none", []string{"app"}, nil, "", ""},
		{"qualified names stay distinct", []string{"app.us.example"}, nil, "app.us.example", "hostname"},
		{"hostname beats ip", []string{"dc01"}, []string{"10.0.1.42"}, "dc01", "hostname"},
		{"second host name", []string{"unknown", "dc01"}, nil, "dc01", "hostname"},
		{"exact ip", []string{"unknown"}, []string{"10.0.1.42"}, "ws-042.corp.example", "ip"},
		{"exact ipv6, non-canonical", nil, []string{"2001:DB8:1:0::42"}, "ws-042.corp.example", "ip"},
		{"v4-mapped ip", nil, []string{"::ffff:10.0.0.10"}, "dc01", "ip"},
		{"host name that is an address", []string{"10.0.0.10"}, nil, "dc01", "ip"},
		{"exact ip beats cidr", nil, []string{"10.0.2.7", "10.0.0.10"}, "dc01", "ip"},
		{"cidr", nil, []string{"10.0.2.7"}, "web-01", "cidr"},
		{"longest prefix", nil, []string{"10.0.2.200"}, "web-canary", "cidr"},
		{"longest prefix across addresses", nil, []string{"10.9.9.9", "10.0.2.7"}, "web-01", "cidr"},
		{"wide range", nil, []string{"10.200.0.1"}, "core-net", "cidr"},
		{"ipv6 cidr", nil, []string{"2001:db8:2:ff::1"}, "web-canary", "cidr"},
		{"no match", []string{"prn-99"}, []string{"192.0.2.44", "not-an-ip"}, "", ""},
		{"nothing asked", nil, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inv.Find(tt.hosts, tt.ips)
			if tt.wantName == "" {
				if got != nil {
					t.Fatalf("Find = %+v, want nil", got)
				}
				return
			}
			if got == nil || got.Name != tt.wantName || got.MatchedBy != tt.wantMatch {
				t.Fatalf("Find = %+v, want %s matched by %s", got, tt.wantName, tt.wantMatch)
			}
		})
	}

	got := inv.Find([]string{"dc01"}, nil)
	want := &alert.Asset{Name: "dc01", Owner: "identity-team", Role: "domain-controller", Tier: 1,
		Tags: []string{"ad", "crown-jewel"}, MatchedBy: "hostname"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Find(dc01) = %+v, want %+v", got, want)
	}
	got.Tags[0] = "changed"
	if again := inv.Find([]string{"dc01"}, nil); again.Tags[0] != "ad" {
		t.Errorf("the inventory changed through a returned asset: %+v", again)
	}
}

func TestLoadCSV(t *testing.T) {
	content := "\ufeffname,ips,cidrs,owner,role,tier,tags\n" +
		"# comment\n" +
		"dc01,10.0.0.10,,identity-team,domain-controller,1,ad;crown-jewel\n" +
		"ws-042,10.0.1.42; 10.0.1.43,,alice,workstation,3,\n" +
		"web-01,,10.0.2.0/24,web-team,web-server,2,\"dmz; public\"\n"
	inv, err := cmdb.LoadFile(writeFile(t, "assets.csv", content))
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	want := []cmdb.Record{
		{Name: "dc01", IPs: []string{"10.0.0.10"}, Owner: "identity-team", Role: "domain-controller", Tier: 1, Tags: []string{"ad", "crown-jewel"}},
		{Name: "ws-042", IPs: []string{"10.0.1.42", "10.0.1.43"}, Owner: "alice", Role: "workstation", Tier: 3},
		{Name: "web-01", CIDRs: []string{"10.0.2.0/24"}, Owner: "web-team", Role: "web-server", Tier: 2, Tags: []string{"dmz", "public"}},
	}
	if got := inv.Records(); !reflect.DeepEqual(got, want) {
		t.Errorf("Records() =\n%+v\nwant\n%+v", got, want)
	}
	if a := inv.Find(nil, []string{"10.0.1.43"}); a == nil || a.Name != "ws-042" {
		t.Errorf("Find(10.0.1.43) = %+v, want ws-042", a)
	}
}

func TestLoadFilesAcrossFiles(t *testing.T) {
	a := writeFile(t, "a.yaml", "assets:\n  - {name: dc01, tier: 1, ips: [10.0.0.10]}\n")
	b := writeFile(t, "b.csv", "name,tier\nprn-01,4\n")
	inv, err := cmdb.LoadFiles(a, b)
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	if inv.Len() != 2 || inv.Find([]string{"prn-01"}, nil) == nil {
		t.Errorf("inventory = %+v, want both files' records", inv.Records())
	}
	dup := writeFile(t, "c.csv", "name,tier,ips\nDC01,2,\nother,3,10.0.0.10\n")
	err = inv.AddFile(dup)
	for _, w := range []string{
		dup + `:2: name: "DC01" is already the name of another asset (dc01)`,
		dup + ":3: ips[0]: 10.0.0.10 already belongs to asset dc01",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("AddFile error = %v, want it to contain %q", err, w)
		}
	}
	if inv.Len() != 2 {
		t.Errorf("Len() = %d after a failed file, want it unchanged", inv.Len())
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		// want are substrings of the error, with "<path>:" written "F:".
		want []string
	}{
		{"unsupported extension", "a.json", "{}", []string{`unsupported file type ".json"`}},
		{"yaml syntax", "a.yaml", "assets:\n  - name: [\n", []string{"F:2: did not find expected node content"}},
		{"yaml unknown field", "a.yaml", "assets:\n  - name: dc01\n    teir: 1\n",
			[]string{`F:3: assets[0].teir: unknown field "teir": want one of name, ips, cidrs, owner, role, tier, tags`}},
		{"yaml unknown top-level field", "a.yaml", "asset:\n  - name: dc01\n",
			[]string{`F:1: asset: unknown field "asset": want one of assets`}},
		{"yaml wrong type", "a.yaml", "assets:\n  - name: dc01\n    tier: high\n",
			[]string{"F:3: assets[0].tier: cannot unmarshal !!str `high` into int"}},
		{"yaml validation", "a.yaml", `assets:
  - name: dc01
    tier: 1
    ips: [10.0.0.1, 10.0.0.300]
  - name: DC01
    tier: 7
    cidrs:
      - 10.0.0.5/24
      - nonsense
  - tier: 2
    ips: [10.0.0.1]
  - name: 10.9.9.9
    tier: 0
`, []string{
			`F:4: assets[0].ips[1]: "10.0.0.300" is not an IP address`,
			`F:5: assets[1].name: "DC01" is already the name of another asset (dc01)`,
			"F:6: assets[1].tier: must be 1 (most critical) to 4, got 7",
			`F:8: assets[1].cidrs[0]: "10.0.0.5/24" has host bits set; did you mean 10.0.0.0/24?`,
			`F:9: assets[1].cidrs[1]: "nonsense" is not a CIDR range`,
			"F:10: assets[2].name: is required",
			"F:11: assets[2].ips[0]: 10.0.0.1 already belongs to asset dc01",
			`F:12: assets[3].name: "10.9.9.9" is an address`,
			"F:13: assets[3].tier: must be 1 (most critical) to 4, got 0",
		}},
		{"yaml missing tier points at the record", "a.yaml", "assets:\n  - name: dc01\n", []string{"F:2: assets[0].tier: must be 1"}},
		{"yaml duplicate within record", "a.yaml", "assets:\n  - name: a\n    tier: 1\n    ips: [10.0.0.1, 10.0.0.1]\n    cidrs: [10.1.0.0/16, 10.1.0.0/16]\n",
			[]string{"F:4: assets[0].ips[1]: 10.0.0.1 is listed twice", "F:5: assets[0].cidrs[1]: 10.1.0.0/16 is listed twice"}},
		{"csv empty", "a.csv", "", []string{"F:1: empty file"}},
		{"csv unknown column", "a.csv", "name,tier,colour\n", []string{`F:1: unknown column "colour"`}},
		{"csv missing tier column", "a.csv", "name,ips\ndc01,10.0.0.10\n", []string{"F:1: no tier column"}},
		{"csv bad tier", "a.csv", "name,tier\ndc01,high\nprn,9\n",
			[]string{`F:2: tier: "high" is not a number 1-4`, "F:3: tier: must be 1 (most critical) to 4, got 9"}},
		{"csv bad list item", "a.csv", "name,tier,ips\ndc01,1,10.0.0.10;bogus\n", []string{`F:2: ips[1]: "bogus" is not an IP address`}},
		{"csv field count", "a.csv", "name,tier\ndc01\n", []string{"F:2: wrong number of fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			_, err := cmdb.LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded, want an error")
			}
			msg := strings.ReplaceAll(err.Error(), path+":", "F:")
			if !strings.HasPrefix(msg, "cmdb: ") {
				t.Errorf("error %q lacks the cmdb: prefix", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\nwant it to contain %q", msg, w)
				}
			}
		})
	}
}

func TestLineError(t *testing.T) {
	path := writeFile(t, "a.yaml", "assets:\n  - name: dc01\n    tier: 9\n")
	_, err := cmdb.LoadFile(path)
	var le *cmdb.LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *LineError", err)
	}
	if want := (cmdb.LineError{File: path, Line: 3, Field: "assets[0].tier", Msg: "must be 1 (most critical) to 4, got 9"}); *le != want {
		t.Errorf("LineError = %+v, want %+v", *le, want)
	}
}

func TestAdd(t *testing.T) {
	inv := cmdb.New()
	ips := []string{"::ffff:10.0.0.10"}
	if err := inv.Add(cmdb.Record{Name: "dc01", Tier: 1, IPs: ips}); err != nil {
		t.Fatal(err)
	}
	if ips[0] != "::ffff:10.0.0.10" {
		t.Errorf("Add changed the caller's slice: %q", ips)
	}
	err := inv.Add(cmdb.Record{Name: "x", Tier: 5, IPs: []string{"10.0.0.10"}})
	want := `cmdb: asset "x": tier: must be 1 (most critical) to 4, got 5; ips[0]: 10.0.0.10 already belongs to asset dc01`
	if err == nil || err.Error() != want {
		t.Errorf("Add error = %v, want %s", err, want)
	}
	if inv.Len() != 1 {
		t.Errorf("Len() = %d, want 1: a rejected record must not be added", inv.Len())
	}
	if a := inv.Find(nil, []string{"10.0.0.10"}); a == nil || a.Name != "dc01" {
		t.Errorf("Find = %+v, want dc01", a)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := cmdb.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want os.ErrNotExist", err)
	}
}

func TestLoadEmptyYAML(t *testing.T) {
	inv, err := cmdb.LoadFile(writeFile(t, "a.yaml", "# nothing yet\n"))
	if err != nil || inv.Len() != 0 {
		t.Errorf("LoadFile = %v, %v; want an empty inventory", inv, err)
	}
}
