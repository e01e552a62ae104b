package intel_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/intel"
)

var _ activities.IntelIndex = (*intel.Index)(nil)

func TestInferType(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for no type
	}{
		{"203.0.113.7", intel.TypeIPv4},
		{"::ffff:203.0.113.7", intel.TypeIPv4},
		{"2001:db8::1", intel.TypeIPv6},
		{"203.0.113.0/24", intel.TypeCIDR},
		{"2001:db8::/32", intel.TypeCIDR},
		{"update-check.example.net", intel.TypeDomain},
		{"Update-Check.Example.NET.", intel.TypeDomain},
		{"xn--bcher-kva.example", intel.TypeDomain},
		{"https://evil.example/a", intel.TypeURL},
		{"d41d8cd98f00b204e9800998ecf8427e", intel.TypeMD5},
		{"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", intel.TypeSHA1},
		{strings.Repeat("ab", 32), intel.TypeSHA256},
		{strings.Repeat("a", 31), ""},
		{"localhost", ""},
		{"not an indicator", ""},
		{"203.0.113.0/33", ""},
		{"1.2.3.256", ""},
		{"*.example.net", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := intel.InferType(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("InferType(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		typ, in string
		want    string
		wantErr string
	}{
		{typ: "ipv4", in: " 203.0.113.7 ", want: "203.0.113.7"},
		{typ: "ipv4", in: "::ffff:203.0.113.7", want: "203.0.113.7"},
		{typ: "ipv6", in: "2001:DB8:0:0::1", want: "2001:db8::1"},
		{typ: "ipv6", in: "fe80::1%eth0", want: "fe80::1"},
		{typ: "cidr", in: "203.0.113.77/24", want: "203.0.113.0/24"},
		{typ: "cidr", in: "2001:DB8:1::5/48", want: "2001:db8:1::/48"},
		{typ: "cidr", in: "::ffff:198.51.100.0/120", want: "198.51.100.0/24"},
		{typ: "domain", in: "Update-Check.Example.NET.", want: "update-check.example.net"},
		{typ: "url", in: "HTTPS://Evil.Example/Payload/", want: "https://evil.example/Payload"},
		{typ: "url", in: "http://evil.example/", want: "http://evil.example"},
		{typ: "url", in: "http://EVIL.example?Q=1", want: "http://evil.example?Q=1"},
		{typ: "md5", in: "D41D8CD98F00B204E9800998ECF8427E", want: "d41d8cd98f00b204e9800998ecf8427e"},
		{typ: "sha1", in: "da39a3ee5e6b4b0d3255bfef95601890afd80709", want: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{typ: "sha256", in: strings.Repeat("AB", 32), want: strings.Repeat("ab", 32)},

		{typ: "ipv4", in: "2001:db8::1", wantErr: "not an IPv4 address"},
		{typ: "ipv6", in: "203.0.113.7", wantErr: "is an IPv4 address, not IPv6"},
		{typ: "ipv4", in: "evil.example", wantErr: "not an IP address"},
		{typ: "cidr", in: "203.0.113.0", wantErr: "not a CIDR range"},
		{typ: "domain", in: "evil", wantErr: "at least two labels"},
		{typ: "domain", in: "*.evil.example", wantErr: "wildcards are not supported"},
		{typ: "domain", in: "-evil.example", wantErr: "may not start or end"},
		{typ: "domain", in: "ev il.example", wantErr: "not allowed"},
		{typ: "domain", in: "203.0.113.7", wantErr: "is an IP address"},
		{typ: "domain", in: "evil.123", wantErr: "top-level label is numeric"},
		{typ: "url", in: "evil.example/path", wantErr: "want scheme://host/path"},
		{typ: "url", in: "http:///path", wantErr: "no host"},
		{typ: "url", in: "1http://evil.example", wantErr: "bad scheme"},
		{typ: "url", in: "http://evil.example/a b", wantErr: "spaces"},
		{typ: "md5", in: strings.Repeat("a", 40), wantErr: "want 32 hex digits"},
		{typ: "sha256", in: strings.Repeat("g", 64), wantErr: "want 64 hex digits"},
		{typ: "ip", in: "203.0.113.7", wantErr: `unknown type "ip"`},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			got, err := intel.Normalize(tt.typ, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Normalize(%q, %q) error = %v, want it to contain %q", tt.typ, tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tt.typ, tt.in, got, err, tt.want)
			}
		})
	}
}

// hitKeys summarises hits as "indicator@source" for comparison.
func hitKeys(hs []alert.IntelHit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Indicator+"@"+h.Source)
	}
	return out
}

func TestLookup(t *testing.T) {
	ix := intel.New()
	for _, h := range []alert.IntelHit{
		{Indicator: "203.0.113.7", Source: "exact", Confidence: 90},
		{Indicator: "203.0.113.0/24", Source: "range", Confidence: 60},
		{Indicator: "203.0.0.0/16", Source: "wide", Confidence: 20},
		{Indicator: "0.0.0.0/0", Source: "everything", Confidence: 1},
		{Indicator: "198.51.100.66/32", Source: "host-range", Confidence: 70},
		{Indicator: "2001:db8::1", Source: "exact6", Confidence: 90},
		{Indicator: "2001:db8:abcd::/48", Source: "range6", Confidence: 60},
		{Indicator: "Update-Check.Example.NET", Source: "dom", Confidence: 80},
		{Indicator: "HTTP://Update-Check.Example.NET/Stage2.bin/", Source: "url", Confidence: 80},
		{Indicator: "D41D8CD98F00B204E9800998ECF8427E", Source: "md5", Confidence: 40},
		{Indicator: "da39a3ee5e6b4b0d3255bfef95601890afd80709", Source: "sha1", Confidence: 40},
		{Indicator: strings.Repeat("ab", 32), Source: "sha256", Confidence: 95},
	} {
		if err := ix.Add(h); err != nil {
			t.Fatalf("Add(%+v): %v", h, err)
		}
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"exact v4 then ranges, most specific first", "203.0.113.7",
			[]string{"203.0.113.7@exact", "203.0.113.0/24@range", "203.0.0.0/16@wide", "0.0.0.0/0@everything"}},
		{"v4 in range only", "203.0.113.50", []string{"203.0.113.0/24@range", "203.0.0.0/16@wide", "0.0.0.0/0@everything"}},
		{"v4 outside ranges", "192.0.2.44", []string{"0.0.0.0/0@everything"}},
		{"/32 range", "198.51.100.66", []string{"198.51.100.66/32@host-range", "0.0.0.0/0@everything"}},
		{"v4-mapped v6 exact", "::ffff:203.0.113.7",
			[]string{"203.0.113.7@exact", "203.0.113.0/24@range", "203.0.0.0/16@wide", "0.0.0.0/0@everything"}},
		{"v4-mapped v6 is v4", "::ffff:203.0.113.9", []string{"203.0.113.0/24@range", "203.0.0.0/16@wide", "0.0.0.0/0@everything"}},
		{"exact v6, non-canonical text", "2001:DB8:0::1", []string{"2001:db8::1@exact6"}},
		{"v6 in range", "2001:db8:abcd:12::99", []string{"2001:db8:abcd::/48@range6"}},
		{"v6 with zone", "2001:db8:abcd::1%eth0", []string{"2001:db8:abcd::/48@range6"}},
		{"v6 outside range", "2001:db8:abce::1", nil},
		{"CIDR looked up as written", "203.0.113.200/24", []string{"203.0.113.0/24@range"}},
		{"domain any case, trailing dot", " UPDATE-check.example.net. ", []string{"update-check.example.net@dom"}},
		{"subdomain is not the domain", "a.update-check.example.net", nil},
		{"url with host case and trailing slash", "http://update-check.example.net/Stage2.bin/", []string{"http://update-check.example.net/Stage2.bin@url"}},
		{"url path case matters", "http://update-check.example.net/stage2.bin", nil},
		{"md5 upper case", "D41D8CD98F00B204E9800998ECF8427E", []string{"d41d8cd98f00b204e9800998ecf8427e@md5"}},
		{"sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", []string{"da39a3ee5e6b4b0d3255bfef95601890afd80709@sha1"}},
		{"sha256", strings.Repeat("AB", 32), []string{strings.Repeat("ab", 32) + "@sha256"}},
		{"unknown", "benign.example", nil},
		{"empty", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hitKeys(ix.Lookup(tt.query)); !slices.Equal(got, tt.want) {
				t.Errorf("Lookup(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
	if got, want := ix.Len(), 12; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}

func TestAddReplacesSameSource(t *testing.T) {
	ix := intel.New()
	steps := []alert.IntelHit{
		{Indicator: "203.0.113.7", Source: "a", Confidence: 10},
		{Indicator: "203.0.113.7", Source: "b", Confidence: 20},
		{Indicator: "203.0.113.7", Source: "a", Confidence: 30, Labels: []string{"c2"}},
		{Indicator: "203.0.113.0/24", Source: "a", Confidence: 40},
		{Indicator: "203.0.113.9/24", Source: "a", Confidence: 50},
	}
	for _, h := range steps {
		if err := ix.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	got := ix.Lookup("203.0.113.7")
	want := []alert.IntelHit{
		{Indicator: "203.0.113.7", Type: "ipv4", Source: "a", Confidence: 30, Labels: []string{"c2"}},
		{Indicator: "203.0.113.7", Type: "ipv4", Source: "b", Confidence: 20},
		{Indicator: "203.0.113.0/24", Type: "cidr", Source: "a", Confidence: 50},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Lookup = %+v\nwant %+v", got, want)
	}
	if ix.Len() != 3 {
		t.Errorf("Len() = %d, want 3", ix.Len())
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	ix := intel.New()
	if err := ix.Add(alert.IntelHit{Indicator: "evil.example", Labels: []string{"c2"}}); err != nil {
		t.Fatal(err)
	}
	hs := ix.Lookup("evil.example")
	hs[0].Labels[0] = "changed"
	hs[0].Confidence = 99
	if again := ix.Lookup("evil.example"); again[0].Labels[0] != "c2" || again[0].Confidence != 0 {
		t.Errorf("the index changed through a returned hit: %+v", again[0])
	}
	if again := ix.Lookup("evil.example"); again[0].Source != "manual" {
		t.Errorf("Source = %q, want manual for an entry added without one", again[0].Source)
	}
}

func TestAddRejects(t *testing.T) {
	tests := []struct {
		name    string
		hit     alert.IntelHit
		wantErr string
	}{
		{"empty", alert.IntelHit{}, "indicator is empty"},
		{"unknown shape", alert.IntelHit{Indicator: "hello world"}, "cannot tell the type"},
		{"unknown type", alert.IntelHit{Indicator: "203.0.113.7", Type: "ip-dst"}, `unknown type "ip-dst"`},
		{"type mismatch", alert.IntelHit{Indicator: "evil.example", Type: "sha256"}, "not an sha256 hash"},
		{"confidence", alert.IntelHit{Indicator: "evil.example", Confidence: 101}, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := intel.New()
			err := ix.Add(tt.hit)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "intel: ") {
				t.Errorf("Add error = %v, want intel: ...%q", err, tt.wantErr)
			}
			if ix.Len() != 0 {
				t.Errorf("Len() = %d after a rejected entry", ix.Len())
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAddFile(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		file    string
		content string
		// want maps a lookup to the expected hits as "indicator@source/type/confidence/labels/description".
		want    map[string][]string
		wantLen int
	}{
		{
			name: "csv with every column",
			file: "watchlist.csv",
			content: "indicator,type,source,confidence,labels,description\n" +
				"203.0.113.7,ipv4,abuse-feed,90,c2;cobalt-strike,Team server\n" +
				"# a comment line\n" +
				"203.0.113.0/24,cidr,abuse-feed,60,,\n" +
				"\"Update-Check.Example.NET\",domain,,80,  dropper ; ,\"Fake updater, stage 1\"\n" +
				sha + ",sha256,sandbox,95,ransomware,\n",
			want: map[string][]string{
				"203.0.113.7": {
					"203.0.113.7@abuse-feed/ipv4/90/[c2 cobalt-strike]/Team server",
					"203.0.113.0/24@abuse-feed/cidr/60/[]/",
				},
				"update-check.example.net": {"update-check.example.net@watchlist.csv/domain/80/[dropper]/Fake updater, stage 1"},
				sha:                        {sha + "@sandbox/sha256/95/[ransomware]/"},
			},
			wantLen: 4,
		},
		{
			name: "csv with indicator column only, types inferred, BOM, column order free",
			file: "feed.CSV",
			content: "\ufeffdescription , Indicator\n" +
				"known bad,2001:db8::/32\n" +
				",https://Evil.Example/x/\n",
			want: map[string][]string{
				"2001:db8:1::1":          {"2001:db8::/32@feed.CSV/cidr/50/[]/known bad"},
				"https://evil.example/x": {"https://evil.example/x@feed.CSV/url/50/[]/"},
			},
			wantLen: 2,
		},
		{
			name:    "csv with header only",
			file:    "empty.csv",
			content: "indicator,type\n",
			wantLen: 0,
		},
		{
			name: "txt list",
			file: "blocklist.txt",
			content: "# blocklist\n\n" +
				"198.51.100.66\n" +
				"  update-check.example.net.   # trailing comment\n" +
				"http://evil.example/a#frag\n" +
				"d41d8cd98f00b204e9800998ecf8427e\n" +
				"2001:db8::/48\n",
			want: map[string][]string{
				"198.51.100.66":              {"198.51.100.66@blocklist.txt/ipv4/50/[]/"},
				"update-check.example.net":   {"update-check.example.net@blocklist.txt/domain/50/[]/"},
				"http://evil.example/a#frag": {"http://evil.example/a#frag@blocklist.txt/url/50/[]/"},
				"2001:db8::7":                {"2001:db8::/48@blocklist.txt/cidr/50/[]/"},
			},
			wantLen: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := intel.LoadFile(writeFile(t, tt.file, tt.content))
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if ix.Len() != tt.wantLen {
				t.Errorf("Len() = %d, want %d", ix.Len(), tt.wantLen)
			}
			for q, want := range tt.want {
				var got []string
				for _, h := range ix.Lookup(q) {
					got = append(got, fmt.Sprintf("%s@%s/%s/%d/%v/%s", h.Indicator, h.Source, h.Type, h.Confidence, h.Labels, h.Description))
				}
				if !slices.Equal(got, want) {
					t.Errorf("Lookup(%q) = %q, want %q", q, got, want)
				}
			}
		})
	}
}

func TestAddFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		// want are substrings the error must contain, after "<file>:" is
		// replaced by "F:".
		want []string
	}{
		{"unsupported extension", "list.xml", `<x/>`, []string{`unsupported file type ".xml"`}},
		{"json array", "list.json", "\n[]", []string{"F:2: the document is a JSON array, want an object"}},
		{"json syntax", "b.json", "{\n\"type\": \"bundle\",\n\"objects\": [\n{,}]}", []string{"F:4: invalid JSON"}},
		{"json neither stix nor misp", "x.json", `{"hello": "world"}`, []string{"F:1: neither a STIX bundle"}},
		{"misp event with a bad field", "e.json", "{\"Event\": {\n\"Attribute\": {}}}", []string{"F:2: Event.Attribute is a JSON object, want an array"}},
		{"empty csv", "w.csv", "", []string{"F:1: empty file: want a header row"}},
		{"no header", "w.csv", "203.0.113.7,ipv4\n", []string{`F:1: unknown column "203.0.113.7": the first row must be a header`}},
		{"no indicator column", "w.csv", "type,source\nipv4,x\n", []string{"F:1: no indicator column"}},
		{"duplicate column", "w.csv", "indicator,type,Type\n", []string{`F:1: column "type" appears twice`}},
		{"field count", "w.csv", "indicator,type\n203.0.113.7\n198.51.100.66,ipv4\n203.0.113.8,ipv4,extra\n",
			[]string{"F:2: wrong number of fields", "F:4: wrong number of fields"}},
		{"bad quote", "w.csv", "indicator\n\"evil.example\n", []string{"F:2:", "quote"}},
		{"unknown type", "w.csv", "indicator,type\n203.0.113.7,ip-dst\n", []string{`F:2: type: unknown type "ip-dst": want one of ipv4, ipv6, cidr`}},
		{"type mismatch", "w.csv", "indicator,type\n\n\nevil.example,ipv4\n", []string{`F:4: indicator: "evil.example" is not an IP address`}},
		{"empty indicator", "w.csv", "indicator,source\n,feed\n", []string{"F:2: indicator: indicator is empty"}},
		{"uninferable", "w.csv", "indicator\nnot-a-thing\n", []string{`F:2: indicator: cannot tell the type of "not-a-thing"`}},
		{"bad confidence", "w.csv", "indicator,confidence\nevil.example,high\nevil2.example,101\n",
			[]string{`F:2: confidence: "high" is not a whole number 0-100`, `F:3: confidence: "101"`}},
		{"txt bad shape", "l.txt", "# ok\n203.0.113.7\nfoo\n\n1.2.3.4 5.6.7.8\n", []string{`F:3: cannot tell the type of "foo"`, `F:5: "1.2.3.4 5.6.7.8": want one indicator per line`}},
		{"many errors are capped", "l.txt", strings.Repeat("bad\n", 25), []string{"F:20:", "5 more bad lines not shown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			ix := intel.New()
			if err := ix.Add(alert.IntelHit{Indicator: "keep.example"}); err != nil {
				t.Fatal(err)
			}
			err := ix.AddFile(path)
			if err == nil {
				t.Fatal("AddFile succeeded, want an error")
			}
			msg := strings.ReplaceAll(err.Error(), path+":", "F:")
			if !strings.HasPrefix(msg, "intel: ") {
				t.Errorf("error %q lacks the intel: prefix", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\nwant it to contain %q", msg, w)
				}
			}
			if ix.Len() != 1 {
				t.Errorf("Len() = %d after a failed file, want the index unchanged", ix.Len())
			}
		})
	}
}

func TestAddFileLineError(t *testing.T) {
	path := writeFile(t, "w.csv", "indicator,type\nevil.example,bogus\n")
	_, err := intel.LoadFile(path)
	var le *intel.LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *LineError", err)
	}
	if le.File != path || le.Line != 2 || le.Column != "type" {
		t.Errorf("LineError = %+v, want %s line 2 column type", le, path)
	}
}

func TestLoadFilesMissing(t *testing.T) {
	_, err := intel.LoadFiles(filepath.Join(t.TempDir(), "missing.csv"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want os.ErrNotExist", err)
	}
}

// BenchmarkLookup measures lookups against a large index with ranges at
// every IPv4 prefix length, the worst case for the per-length probes.
func BenchmarkLookup(b *testing.B) {
	ix := intel.New()
	for i := range 100_000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if err := ix.Add(alert.IntelHit{Indicator: a.String(), Source: "bench"}); err != nil {
			b.Fatal(err)
		}
		if err := ix.Add(alert.IntelHit{Indicator: fmt.Sprintf("host%d.evil.example", i), Source: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for bits := 8; bits <= 32; bits++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, 0, 0}), bits).Masked()
		if err := ix.Add(alert.IntelHit{Indicator: p.String(), Source: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for bits := 16; bits <= 128; bits += 8 {
		p := netip.PrefixFrom(netip.MustParseAddr("2001:db8::1"), bits).Masked()
		if err := ix.Add(alert.IntelHit{Indicator: p.String(), Source: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []struct{ name, value string }{
		{"ipv4-exact", "10.1.2.3"},
		{"ipv4-miss", "192.0.2.44"},
		{"ipv4-in-ranges", "172.16.0.0"},
		{"ipv6-in-ranges", "2001:db8::1"},
		{"domain", "host4242.evil.example"},
		{"sha256-miss", strings.Repeat("ab", 32)},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				ix.Lookup(q.value)
			}
		})
	}
}
