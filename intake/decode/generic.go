package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// GenericMapping describes a site-specific alert format as configuration:
// how to recognise it and where each canonical field is in the payload.
// Paths are dot-separated keys with optional [n] indexes
// ("evidence[0].sha256"); a key that itself contains dots
// ("kibana.alert.rule.name") is found too, as get explains.
type GenericMapping struct {
	// Name is the format's name, as callers force it: lower-case letters,
	// digits, "-" and "_", and not a built-in format's name.
	Name string `yaml:"name" json:"name"`
	// Detect recognises the format: every path must hold the given value
	// exactly (a number or boolean compares as its JSON text; an array
	// matches when an element does), or "*" for "present and not null".
	Detect map[string]string `yaml:"detect" json:"detect"`
	// Fields maps a canonical field to its path in the payload. The
	// canonical fields are those GenericFields lists; time and one of rule
	// or title are required, and at least one entity field.
	Fields map[string]string `yaml:"fields" json:"fields"`
	// Source is the alert's source when Fields has no source path; when
	// both are empty, the mapping's Name.
	Source string `yaml:"source" json:"source"`
	// SeverityMap maps a vendor severity value (compared exactly, then
	// without regard to case) to info, low, medium, high or critical. The key
	// "*" is the severity of any other value and of an absent one. Without a
	// match, the value is read as a severity name or a 0-100 score; an
	// absent severity is medium.
	SeverityMap map[string]string `yaml:"severity_map" json:"severity_map"`
	// TimeFormat is how the time field is written: "" for RFC 3339 (and the
	// other common layouts) or epoch seconds/milliseconds told apart by
	// magnitude, "unix" or "unix_ms" to force an epoch unit, or a Go time
	// layout such as "02/01/2006 15:04:05".
	TimeFormat string `yaml:"time_format" json:"time_format"`
}

// genericFields are the canonical fields a GenericMapping may map, each with
// what it becomes.
var genericFields = map[string]string{
	"source": "alert source (the product)", "rule": "rule name or ID", "title": "one-line summary",
	"description": "longer text", "category": "routing category", "severity": "vendor severity",
	"time": "detection time", "id": "alert ID at the source",
	"host": "host name", "host_ip": "host address", "user": "account name",
	"src_ip": "source address", "dst_ip": "destination address", "src_port": "source port", "dst_port": "destination port",
	"process": "process name", "command_line": "process command line",
	"sha256": "file SHA-256", "md5": "file MD5", "sha1": "file SHA-1",
	"domain": "DNS name", "url": "URL", "technique": "ATT&CK technique IDs",
}

// genericEntityFields are the fields that name an entity; a mapping needs
// one, or none of its alerts could be valid.
var genericEntityFields = []string{"host", "host_ip", "user", "src_ip", "dst_ip", "process", "command_line", "sha256", "md5", "sha1", "domain", "url"}

// GenericFields lists the canonical field names a GenericMapping's Fields
// may use, sorted.
func GenericFields() []string {
	names := make([]string, 0, len(genericFields))
	for k := range genericFields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Validate reports every problem in the mapping, each naming the key at
// fault, joined with errors.Join, or nil.
func (m GenericMapping) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("generic mapping %q: "+format, append([]any{m.Name}, args...)...))
	}
	switch {
	case m.Name == "":
		bad("name: is required")
	case !validFormatName(m.Name):
		bad("name: %q must be lower-case letters, digits, '-' and '_', starting with a letter or digit", m.Name)
	default:
		for _, n := range Builtin().Names() {
			if n == m.Name {
				bad("name: %q is a built-in format", m.Name)
			}
		}
	}
	if len(m.Detect) == 0 {
		bad("detect: at least one path is required (an empty detect would claim every payload)")
	}
	for _, p := range sortedKeys(m.Detect) {
		if err := checkPath(p); err != nil {
			bad("detect[%q]: %v", p, err)
		}
		if m.Detect[p] == "" {
			bad("detect[%q]: the value is empty; use \"*\" for \"present\"", p)
		}
	}
	for _, f := range sortedKeys(m.Fields) {
		if _, ok := genericFields[f]; !ok {
			bad("fields[%q]: unknown field; known fields are %s", f, strings.Join(GenericFields(), ", "))
			continue
		}
		if err := checkPath(m.Fields[f]); err != nil {
			bad("fields[%q]: path %q: %v", f, m.Fields[f], err)
		}
	}
	if m.Fields["rule"] == "" && m.Fields["title"] == "" {
		bad("fields: rule or title is required")
	}
	if m.Fields["time"] == "" {
		bad("fields: time is required")
	}
	hasEntity := false
	for _, f := range genericEntityFields {
		if m.Fields[f] != "" {
			hasEntity = true
		}
	}
	if !hasEntity {
		bad("fields: at least one of %s is required", strings.Join(genericEntityFields, ", "))
	}
	for _, k := range sortedKeys(m.SeverityMap) {
		if k == "" {
			bad("severity_map: an empty key matches nothing; use \"*\" for the default")
		}
		if !alert.Severity(m.SeverityMap[k]).Valid() {
			bad("severity_map[%q]: %q is not one of %s", k, m.SeverityMap[k], strings.Join(alert.SeverityNames(), ", "))
		}
	}
	switch m.TimeFormat {
	case "", "unix", "unix_ms":
	default:
		if !strings.Contains(m.TimeFormat, "2006") && !strings.Contains(m.TimeFormat, "06") {
			bad("time_format: %q is neither \"unix\", \"unix_ms\" nor a Go time layout with a year (2006)", m.TimeFormat)
		}
	}
	return errors.Join(errs...)
}

func validFormatName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '_'))
		if !ok {
			return false
		}
	}
	return s != ""
}

// checkPath reports what is wrong with a field path, or nil.
func checkPath(p string) error {
	if p == "" {
		return errors.New("the path is empty")
	}
	if p[0] == '.' || p[0] == '[' || p[len(p)-1] == '.' {
		return errors.New("a path starts with a key and does not end with '.'")
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.':
			if i+1 < len(p) && (p[i+1] == '.' || p[i+1] == '[') {
				return fmt.Errorf("empty key at offset %d", i+1)
			}
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return fmt.Errorf("'[' at offset %d is not closed", i)
			}
			if _, err := strconv.Atoi(p[i+1 : i+end]); err != nil || end == 1 {
				return fmt.Errorf("index %q at offset %d is not a number", p[i+1:i+end], i)
			}
			i += end
			if i+1 < len(p) && p[i+1] != '.' && p[i+1] != '[' {
				return fmt.Errorf("']' at offset %d must be followed by '.', '[' or the end", i)
			}
		case ']':
			return fmt.Errorf("']' at offset %d has no '['", i)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// genericFormat is a Format built from a validated GenericMapping.
type genericFormat struct {
	m GenericMapping
	// detectKeys lists, per Detect path, the top-level keys the path may
	// start with, so that Detect decodes only those fields.
	detectKeys map[string][]string
}

// NewGeneric validates a mapping and returns the format it describes. The
// mapping is copied, so changing it afterwards changes nothing.
func NewGeneric(m GenericMapping) (Format, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	c := m
	c.Detect, c.Fields, c.SeverityMap = copyMap(m.Detect), copyMap(m.Fields), copyMap(m.SeverityMap)
	g := &genericFormat{m: c, detectKeys: make(map[string][]string, len(c.Detect))}
	for p := range c.Detect {
		g.detectKeys[p] = topKeys(p)
	}
	return g, nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// topKeys lists the top-level keys a path may start with: each prefix that
// ends before a '.' or '[', and the whole path.
func topKeys(p string) []string {
	var keys []string
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' || p[i] == '[' {
			keys = append(keys, p[:i])
		}
	}
	return keys
}

func (g *genericFormat) Name() string { return g.m.Name }

// Detect decodes just the top-level fields the Detect paths start with,
// then checks every path.
func (g *genericFormat) Detect(o map[string]json.RawMessage) bool {
	partial := make(map[string]any)
	for p, want := range g.m.Detect {
		for _, k := range g.detectKeys[p] {
			if _, done := partial[k]; done {
				continue
			}
			raw, ok := o[k]
			if !ok {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil {
				partial[k] = v
			}
		}
		if !detectMatch(get(partial, p), want) {
			return false
		}
	}
	return true
}

// detectMatch compares a value with a Detect value.
func detectMatch(v any, want string) bool {
	if v == nil {
		return false
	}
	if want == "*" {
		return true
	}
	if arr, ok := v.([]any); ok {
		for _, el := range arr {
			if detectMatch(el, want) {
				return true
			}
		}
		return false
	}
	return scalar(v) == want
}

func (g *genericFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject(g.m.Name, raw)
	if err != nil {
		return Result{}, err
	}
	return single(g.one, doc, raw)
}

func (g *genericFormat) one(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	m, name := g.m, g.m.Name
	field := func(f string) string {
		if p := m.Fields[f]; p != "" {
			return str(doc, p)
		}
		return ""
	}
	fields := func(f string) []string {
		if p := m.Fields[f]; p != "" {
			return strs(doc, p)
		}
		return nil
	}
	b := newBuilder(name)
	a := &b.a
	a.Source = firstOf(field("source"), m.Source, name)
	a.Rule = firstOf(field("rule"), field("title"))
	if a.Rule == "" {
		return alert.Alert{}, "", missing(name, firstOf(m.Fields["rule"], m.Fields["title"]))
	}
	a.Title = firstOf(field("title"), a.Rule)
	a.Description = field("description")
	a.ID = field("id")

	t, err := g.time(doc)
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t
	sev, err := g.severity(doc)
	if err != nil {
		return alert.Alert{}, "", err
	}
	b.severity(sev, rawStr(doc, m.Fields["severity"]))

	if c := field("category"); c != "" {
		a.Category = firstOf(classCategory(c), keywordCategory(c), strings.ToLower(c))
	}
	hostIPs := fields("host_ip")
	for _, h := range fields("host") {
		b.host(h, "", hostIPs, "")
	}
	if field("host") == "" {
		for _, ip := range hostIPs {
			b.ip(m.Fields["host_ip"], ip, alert.DirectionUnknown, 0)
		}
	}
	for _, u := range fields("user") {
		b.user(u, "", "", "")
	}
	intField := func(f string) int {
		if p := m.Fields[f]; p != "" {
			return port(doc, p)
		}
		return 0
	}
	for _, ip := range fields("src_ip") {
		b.ip(m.Fields["src_ip"], ip, alert.DirectionSource, intField("src_port"))
	}
	for _, ip := range fields("dst_ip") {
		b.ip(m.Fields["dst_ip"], ip, alert.DirectionDestination, intField("dst_port"))
	}
	b.process(alert.Process{Name: baseName(field("process")), CommandLine: field("command_line"), SHA256: field("sha256")})
	b.file(alert.FileHash{SHA256: field("sha256"), MD5: field("md5"), SHA1: field("sha1")})
	for _, d := range fields("domain") {
		b.domain(d)
	}
	for _, u := range fields("url") {
		b.url(u)
	}
	b.techniques(fields("technique")...)
	b.label("mapping", name)

	var paths []string
	for _, f := range genericEntityFields {
		if p := m.Fields[f]; p != "" {
			paths = append(paths, p)
		}
	}
	out, err := b.finish(raw, strings.Join(paths, ", "))
	return out, "", err
}

// time reads the time field as TimeFormat says.
func (g *genericFormat) time(doc map[string]any) (time.Time, error) {
	p := g.m.Fields["time"]
	switch g.m.TimeFormat {
	case "":
		return timeAt(g.m.Name, doc, p)
	case "unix", "unix_ms":
		f, ok := num(doc, p)
		if !ok {
			if get(doc, p) == nil {
				return time.Time{}, missing(g.m.Name, p)
			}
			return time.Time{}, &FieldError{Format: g.m.Name, Field: p, Reason: quote(rawStr(doc, p)) + " is not an epoch number"}
		}
		var t time.Time
		if g.m.TimeFormat == "unix" && f > 0 && f < 1e11 {
			sec, frac := math.Modf(f)
			t = time.Unix(int64(sec), int64(frac*1e9))
		} else if g.m.TimeFormat == "unix_ms" && f > 0 && f < 1e14 {
			t = time.UnixMilli(int64(f))
		}
		return plausible(g.m.Name, p, t, rawStr(doc, p))
	}
	s := rawStr(doc, p)
	if s == "" {
		return time.Time{}, missing(g.m.Name, p)
	}
	t, err := time.Parse(g.m.TimeFormat, s)
	if err != nil {
		return time.Time{}, &FieldError{Format: g.m.Name, Field: p, Reason: fmt.Sprintf("%s does not match the layout %q", quote(s), g.m.TimeFormat)}
	}
	return plausible(g.m.Name, p, t, s)
}

// plausible applies parseTime's range check to a time read another way.
func plausible(format, field string, t time.Time, text string) (time.Time, error) {
	if y := t.Year(); t.IsZero() || y < 1971 || y > 9999 {
		return time.Time{}, &FieldError{Format: format, Field: field, Reason: quote(text) + " is not a plausible alert time"}
	}
	return t.UTC(), nil
}

// severity maps the severity field through SeverityMap.
func (g *genericFormat) severity(doc map[string]any) (alert.Severity, error) {
	m := g.m
	v := ""
	if p := m.Fields["severity"]; p != "" {
		v = rawStr(doc, p)
	}
	if v != "" {
		if s, ok := m.SeverityMap[v]; ok {
			return alert.Severity(s), nil
		}
		for _, k := range sortedKeys(m.SeverityMap) {
			if strings.EqualFold(k, v) {
				return alert.Severity(m.SeverityMap[k]), nil
			}
		}
	}
	if s, ok := m.SeverityMap["*"]; ok {
		return alert.Severity(s), nil
	}
	if v == "" {
		return defaultSeverity, nil
	}
	sev, err := alert.ParseSeverity(v)
	if err != nil {
		return "", &FieldError{Format: m.Name, Field: m.Fields["severity"], Reason: "unknown value " + quote(v) + " (add it to severity_map)"}
	}
	return sev, nil
}
