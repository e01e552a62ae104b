package decode

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

// acmeMapping is the site mapping the generic fixtures are written for: an
// IDS that nests some fields and writes others as dotted keys.
func acmeMapping() GenericMapping {
	return GenericMapping{
		Name:   "acme-ids",
		Detect: map[string]string{"vendor": "acme", "product.kind": "ids"},
		Fields: map[string]string{
			"source": "product.name", "rule": "event.sig", "title": "event.sig_name",
			"severity": "event.prio", "time": "event.ts", "category": "event.class",
			"src_ip": "net.src", "src_port": "net.sport", "dst_ip": "net.dst", "dst_port": "net.dport",
			"host": "asset.host.name", "host_ip": "asset.ip", "technique": "mitre",
			"url": "links[0].href", "domain": "dns.query",
		},
		SeverityMap: map[string]string{"P1": "critical", "P2": "high", "P3": "medium", "*": "low"},
	}
}

// testRegistry is the built-in registry with the acme mapping added.
func testRegistry(tb testing.TB) *Registry {
	tb.Helper()
	g, err := NewGeneric(acmeMapping())
	if err != nil {
		tb.Fatalf("NewGeneric: %v", err)
	}
	r := Builtin()
	if err := r.Add(g); err != nil {
		tb.Fatalf("Add: %v", err)
	}
	return r
}

// entries splits a fixture as intake would: one JSON value, or NDJSON.
func entries(data []byte) [][]byte {
	if json.Valid(bytes.TrimSpace(data)) {
		return [][]byte{data}
	}
	var out [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line)
		}
	}
	return out
}

// fixture is one entry of a testdata file, with the format its folder
// names ("generic" fixtures belong to the acme mapping).
type fixture struct {
	path   string
	index  int
	format string
	raw    []byte
}

func (f fixture) name() string {
	return strings.TrimPrefix(f.path, "testdata/") + "#" + strconv.Itoa(f.index)
}

// fixtures returns every entry of every testdata file; format "" means all.
func fixtures(tb testing.TB, format string) []fixture {
	tb.Helper()
	pattern := filepath.Join("testdata", "*", "*.json")
	if format != "" {
		pattern = filepath.Join("testdata", format, "*.json")
	}
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures match %s (%v)", pattern, err)
	}
	var out []fixture
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		dir := filepath.Base(filepath.Dir(p))
		if dir == "generic" {
			dir = acmeMapping().Name
		}
		for i, e := range entries(data) {
			out = append(out, fixture{path: filepath.ToSlash(p), index: i, format: dir, raw: e})
		}
	}
	return out
}

// readFixture returns entry i of a testdata file.
func readFixture(tb testing.TB, path string, i int) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		tb.Fatal(err)
	}
	es := entries(data)
	if i >= len(es) {
		tb.Fatalf("%s has %d entries, want entry %d", path, len(es), i)
	}
	return es[i]
}

// entityLines renders entities one per line, so that a test states exactly
// which it expects and a failure shows what differs.
func entityLines(e alert.Entities) []string {
	var out []string
	opt := func(k, v string) string {
		if v == "" {
			return ""
		}
		return " " + k + "=" + v
	}
	num := func(k string, n int) string {
		if n == 0 {
			return ""
		}
		return " " + k + "=" + strconv.Itoa(n)
	}
	for _, h := range e.Hosts {
		out = append(out, "host "+h.Name+opt("id", h.ID)+opt("ip", strings.Join(h.IP, ","))+opt("os", h.OS))
	}
	for _, u := range e.Users {
		out = append(out, "user "+u.Name+opt("domain", u.Domain)+opt("email", u.Email)+opt("id", u.ID))
	}
	for _, ip := range e.IPs {
		dir := ""
		if ip.Direction != "" {
			dir = " " + string(ip.Direction)
		}
		out = append(out, "ip "+ip.Addr+dir+num("port", ip.Port))
	}
	for _, p := range e.Processes {
		out = append(out, "process "+p.Name+num("pid", p.PID)+opt("cmd", p.CommandLine)+opt("parent", p.Parent)+opt("sha256", p.SHA256))
	}
	for _, f := range e.Files {
		out = append(out, "file "+f.Name+opt("path", f.Path)+opt("md5", f.MD5)+opt("sha1", f.SHA1)+opt("sha256", f.SHA256))
	}
	for _, d := range e.Domains {
		out = append(out, "domain "+d)
	}
	for _, u := range e.URLs {
		out = append(out, "url "+u)
	}
	return out
}

// want is what a test expects of one decoded alert. Empty strings and nil
// slices are checked too (an unexpected category is a failure), except ID
// when it is "" (derived IDs are checked by prefix "sha256:") and Desc,
// which is a substring.
type want struct {
	ID         string
	Source     string
	Rule       string
	Title      string
	Category   string
	Severity   alert.Severity
	Time       string
	Techniques []string
	Entities   []string
	Labels     map[string]string
	Desc       string
}

func checkAlert(t *testing.T, a alert.Alert, w want, raw []byte) {
	t.Helper()
	if err := a.Validate(); err != nil {
		t.Errorf("decoded alert does not validate: %v", err)
	}
	if w.ID == "" {
		if !strings.HasPrefix(a.ID, "sha256:") {
			t.Errorf("ID = %q, want a derived sha256: ID", a.ID)
		}
	} else if a.ID != w.ID {
		t.Errorf("ID = %q, want %q", a.ID, w.ID)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Source", a.Source, w.Source}, {"Rule", a.Rule, w.Rule}, {"Title", a.Title, w.Title},
		{"Category", a.Category, w.Category}, {"Severity", string(a.Severity), string(w.Severity)},
		{"Time", a.Time.Format(time.RFC3339Nano), w.Time},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if a.Time.Location() != time.UTC {
		t.Errorf("Time %v is not UTC", a.Time)
	}
	if !slices.Equal(a.Techniques, w.Techniques) {
		t.Errorf("Techniques = %q, want %q", a.Techniques, w.Techniques)
	}
	if got := entityLines(a.Entities); !slices.Equal(got, w.Entities) {
		t.Errorf("entities:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(w.Entities, "\n      "))
	}
	for k, v := range w.Labels {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
	if !strings.Contains(a.Description, w.Desc) {
		t.Errorf("Description = %q, want it to contain %q", a.Description, w.Desc)
	}
	if len(raw) <= alert.MaxRawBytes && a.Raw == "" {
		t.Errorf("Raw is empty")
	}
}
