package intel

import (
	"slices"
	"strings"
	"testing"
)

func TestReducePattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		// values are "path=value"; skips are the reasons.
		values  []string
		skips   []string
		wantErr string
	}{
		{name: "ipv4", pattern: "[ipv4-addr:value = '203.0.113.7']", values: []string{"ipv4-addr:value=203.0.113.7"}},
		{name: "spaces inside brackets", pattern: "[ ipv4-addr:value = '10.0.0.0' ]", values: []string{"ipv4-addr:value=10.0.0.0"}},
		{name: "quoted hash name", pattern: "[file:hashes.'SHA-256' = 'ab']", values: []string{"file:hashes.SHA-256=ab"}},
		{name: "bare hash name", pattern: "[file:hashes.MD5 = 'cd']", values: []string{"file:hashes.MD5=cd"}},
		{name: "escapes", pattern: `[url:value = 'http://e.example/it\'s\\x']`, values: []string{`url:value=http://e.example/it's\x`}},
		{name: "OR inside", pattern: "[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']",
			values: []string{"domain-name:value=a.example", "ipv4-addr:value=192.0.2.1"}},
		{name: "OR of observations", pattern: "[domain-name:value = 'a.example'] OR [url:value = 'http://b.example/x']",
			values: []string{"domain-name:value=a.example", "url:value=http://b.example/x"}},
		{name: "keywords in any case", pattern: "[domain-name:value = 'a.example' or domain-name:value = 'b.example']",
			values: []string{"domain-name:value=a.example", "domain-name:value=b.example"}},
		{name: "grouped comparisons", pattern: "[(domain-name:value = 'a.example' OR domain-name:value = 'b.example')]",
			values: []string{"domain-name:value=a.example", "domain-name:value=b.example"}},
		{name: "grouped observations", pattern: "([ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2'])",
			values: []string{"ipv4-addr:value=192.0.2.1", "ipv4-addr:value=192.0.2.2"}},
		{name: "IN set", pattern: "[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
			values: []string{"ipv4-addr:value=192.0.2.1", "ipv4-addr:value=192.0.2.2"}},
		{name: "ISSUBSET", pattern: "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", values: []string{"ipv4-addr:value=198.51.100.0/24"}},
		{name: "network traffic ref", pattern: "[network-traffic:dst_ref.value = '192.0.2.9']", values: []string{"network-traffic:dst_ref.value=192.0.2.9"}},
		{name: "AND of comparisons", pattern: "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", skips: []string{SkipAND}},
		{name: "AND of observations", pattern: "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']", skips: []string{SkipAND}},
		{name: "AND binds tighter than OR", pattern: "[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1' AND url:value = 'http://x.example']",
			values: []string{"domain-name:value=a.example"}, skips: []string{SkipAND}},
		{name: "OR of an AND group keeps the other side", pattern: "[ipv4-addr:value = '192.0.2.7'] OR ([ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example'])",
			values: []string{"ipv4-addr:value=192.0.2.7"}, skips: []string{SkipAND}},
		{name: "FOLLOWEDBY", pattern: "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']", skips: []string{SkipFollowedBy}},
		{name: "WITHIN", pattern: "[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS", skips: []string{SkipQualifier}},
		{name: "REPEATS", pattern: "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES", skips: []string{SkipQualifier}},
		{name: "START STOP", pattern: "[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", skips: []string{SkipQualifier}},
		{name: "MATCHES", pattern: "[email-message:subject MATCHES '^Final Report.+\\\\.exe$']", skips: []string{SkipOperator}},
		{name: "not equal", pattern: "[ipv4-addr:value != '192.0.2.1']", skips: []string{SkipOperator}},
		{name: "NOT", pattern: "[ipv4-addr:value NOT = '192.0.2.1']", skips: []string{SkipOperator}},
		{name: "EXISTS", pattern: "[EXISTS windows-registry-key:values]", skips: []string{SkipOperator}},
		{name: "LIKE", pattern: "[domain-name:value LIKE '%.evil.example']", skips: []string{SkipOperator}},
		{name: "unsupported path", pattern: "[file:name = 'loader.exe' OR file:hashes.'SHA-1' = 'ef']",
			values: []string{"file:hashes.SHA-1=ef"}, skips: []string{SkipObjectPath}},
		{name: "SHA-512 is not held", pattern: "[file:hashes.'SHA-512' = 'ab']", skips: []string{SkipObjectPath}},
		{name: "number literal", pattern: "[ipv4-addr:value = 42]", skips: []string{SkipInvalidValue}},
		{name: "list index in a path", pattern: "[email-message:body_multipart[*].body_raw_ref.name = 'x.exe']", skips: []string{SkipObjectPath}},
		{name: "unterminated string", pattern: "[ipv4-addr:value = '192.0.2.1]", wantErr: "unterminated string"},
		{name: "missing bracket", pattern: "[ipv4-addr:value = '192.0.2.1'", wantErr: "want ] to close"},
		{name: "trailing junk", pattern: "[ipv4-addr:value = '192.0.2.1'] junk", wantErr: "unexpected"},
		{name: "no operator", pattern: "[ipv4-addr:value '192.0.2.1']", wantErr: "want a comparison operator"},
		{name: "not a pattern", pattern: "alert tcp any any -> any any", wantErr: "want [ or ("},
		{name: "empty", pattern: "", wantErr: "want [ or ("},
		{name: "deep nesting", pattern: strings.Repeat("(", 100) + "[ipv4-addr:value = '192.0.2.1']" + strings.Repeat(")", 100), wantErr: "nested more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := reducePattern(tt.pattern)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("reducePattern(%q) error = %v, want it to contain %q", tt.pattern, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("reducePattern(%q): %v", tt.pattern, err)
			}
			var values, skips []string
			for _, v := range r.values {
				values = append(values, v.path+"="+v.value)
			}
			for _, s := range r.skips {
				skips = append(skips, s.reason)
			}
			if !slices.Equal(values, tt.values) || !slices.Equal(skips, tt.skips) {
				t.Errorf("reducePattern(%q) = values %q skips %q, want %q %q", tt.pattern, values, skips, tt.values, tt.skips)
			}
		})
	}
}

func FuzzReducePattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '203.0.113.7']",
		"[file:hashes.'SHA-256' = 'ab' OR domain-name:value = 'x.example'] OR [url:value = 'http://a/b']",
		"[a:b = 'x' AND c:d IN ('1', '2')] FOLLOWEDBY [e:f MATCHES 'x'] WITHIN 5 SECONDS",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := reducePattern(s)
		if err == nil {
			for _, v := range r.values {
				if v.path == "" {
					t.Fatalf("value without a path from %q", s)
				}
			}
		}
	})
}
