package policy

import (
	"sort"
	"strings"

	"github.com/socflow/socflow/alert"
)

// fieldGetters are the field paths a Match, a fingerprint or a group_by may
// name. Each returns every value the alert has for the field, because an
// alert may name several hosts or addresses.
var fieldGetters = map[string]func(a *alert.Alert) []string{
	"source":   func(a *alert.Alert) []string { return one(a.Source) },
	"rule":     func(a *alert.Alert) []string { return one(a.Rule) },
	"title":    func(a *alert.Alert) []string { return one(a.Title) },
	"category": func(a *alert.Alert) []string { return one(a.Category) },
	"severity": func(a *alert.Alert) []string { return one(string(a.Severity)) },
	"host":     func(a *alert.Alert) []string { return one(a.PrimaryHost()) },
	"user":     func(a *alert.Alert) []string { return one(a.PrimaryUser()) },
	"src_ip":   func(a *alert.Alert) []string { return one(a.SourceIP()) },
	"dst_ip":   func(a *alert.Alert) []string { return one(a.DestinationIP()) },
	"hosts": func(a *alert.Alert) []string {
		return collect(a.Entities.Hosts, func(h alert.Host) string { return strings.ToLower(h.Name) })
	},
	"users": func(a *alert.Alert) []string {
		return collect(a.Entities.Users, func(u alert.User) string { return strings.ToLower(u.Name) })
	},
	"ips": func(a *alert.Alert) []string {
		return collect(a.Entities.IPs, func(ip alert.IP) string { return ip.Addr })
	},
	"domains": func(a *alert.Alert) []string { return a.Entities.Domains },
	"urls":    func(a *alert.Alert) []string { return a.Entities.URLs },
	"hashes":  func(a *alert.Alert) []string { return a.Hashes() },
	"processes": func(a *alert.Alert) []string {
		return collect(a.Entities.Processes, func(p alert.Process) string { return p.Name })
	},
	"techniques":  func(a *alert.Alert) []string { return a.Techniques },
	"description": func(a *alert.Alert) []string { return one(a.Description) },
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func collect[T any](items []T, f func(T) string) []string {
	var out []string
	for _, it := range items {
		if v := f(it); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// KnownField reports whether name is a field path the policy can read:
// one of FieldNames, or "labels.<key>".
func KnownField(name string) bool {
	if _, ok := fieldGetters[name]; ok {
		return true
	}
	return strings.HasPrefix(name, "labels.") && len(name) > len("labels.")
}

// FieldNames lists the fixed field paths, sorted.
func FieldNames() []string {
	names := make([]string, 0, len(fieldGetters)+1)
	for k := range fieldGetters {
		names = append(names, k)
	}
	names = append(names, "labels.<key>")
	sort.Strings(names)
	return names
}

// Fields returns the alert's values for a field path.
func Fields(a *alert.Alert, name string) []string {
	if g, ok := fieldGetters[name]; ok {
		return g(a)
	}
	if key, ok := strings.CutPrefix(name, "labels."); ok {
		return one(a.Labels[key])
	}
	return nil
}

// Matches reports whether every glob in m matches at least one of the
// alert's values for its field. An empty Match matches everything.
func (m Match) Matches(a *alert.Alert) bool {
	for field, glob := range m {
		if !anyGlob(strings.ToLower(glob), Fields(a, field)) {
			return false
		}
	}
	return true
}

func anyGlob(glob string, values []string) bool {
	for _, v := range values {
		if Glob(glob, strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// Glob reports whether s matches pattern, where "*" matches any run of
// characters (slashes included, unlike path.Match, because URLs and
// Windows paths are matched too) and "?" matches one character.
func Glob(pattern, str string) bool {
	// Runes, not bytes, so that "?" is one character of a non-ASCII name.
	s, pat := []rune(str), []rune(pattern)
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p++
			i++
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
