package intel

import (
	"fmt"
	"net/netip"
	"strings"
)

// value is an indicator validated and in canonical form: an address or
// range in addr/bits, a domain or URL in key, a hash as its hex text in key
// (of either case; the index stores the bytes).
type value struct {
	typ  kind
	key  string
	addr netip.Addr
	bits int
}

// text returns the canonical text of v, as Normalize returns it.
func (v value) text() string {
	switch v.typ {
	case kindIPv4, kindIPv6:
		return v.addr.String()
	case kindCIDR:
		return netip.PrefixFrom(v.addr, v.bits).String()
	case kindMD5, kindSHA1, kindSHA256:
		return strings.ToLower(v.key)
	}
	return v.key
}

// InferType guesses an indicator's type from its shape: a URL has "://",
// a CIDR a "/", an IP parses as one, a hash is 32, 40 or 64 hex digits and
// a domain is dot-separated host labels. It reports false when none fits.
func InferType(v string) (string, bool) {
	k, ok := inferKind(strings.TrimSpace(v))
	return k.String(), ok
}

func inferKind(v string) (kind, bool) {
	switch {
	case strings.Contains(v, "://"):
		return kindURL, true
	case strings.Contains(v, "/"):
		if _, err := netip.ParsePrefix(v); err == nil {
			return kindCIDR, true
		}
		return 0, false
	}
	// mayBeAddr first: ParseAddr's error allocates, and most values
	// (domains, hashes) are not addresses.
	if mayBeAddr(v) {
		if a, err := netip.ParseAddr(v); err == nil {
			if a.Unmap().Is4() {
				return kindIPv4, true
			}
			return kindIPv6, true
		}
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return kindMD5, true
		case 40:
			return kindSHA1, true
		case 64:
			return kindSHA256, true
		}
	}
	if domainProblem(strings.TrimSuffix(strings.ToLower(v), ".")) == "" {
		return kindDomain, true
	}
	return 0, false
}

// Normalize checks that v is a valid indicator of type typ and returns its
// canonical form: the shortest text of an IP (IPv4-mapped IPv6 addresses
// become IPv4), a masked CIDR, a lower-case domain without the trailing
// dot, a lower-case hash, a URL with lower-case scheme and host and no
// trailing slash.
func Normalize(typ, v string) (string, error) {
	k, ok := kindOf(typ)
	if !ok {
		return "", fmt.Errorf("unknown type %q: want one of %s", typ, strings.Join(Types(), ", "))
	}
	val, err := parseValue(k, strings.TrimSpace(v))
	if err != nil {
		return "", err
	}
	return val.text(), nil
}

// parseValue validates the trimmed v as an indicator of kind k, inferring
// the kind when k is 0, and returns it in canonical form. It allocates
// only to lower-case a domain or URL that has upper case.
func parseValue(k kind, v string) (value, error) {
	if k == 0 {
		return inferValue(v)
	}
	switch k {
	case kindIPv4, kindIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return value{}, fmt.Errorf("%q is not an IP address", v)
		}
		a = a.Unmap().WithZone("")
		if k == kindIPv4 && !a.Is4() {
			return value{}, fmt.Errorf("%q is not an IPv4 address", v)
		}
		if k == kindIPv6 && a.Is4() {
			return value{}, fmt.Errorf("%q is an IPv4 address, not IPv6", v)
		}
		return value{typ: k, addr: a}, nil
	case kindCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return value{}, fmt.Errorf("%q is not a CIDR range such as 203.0.113.0/24", v)
		}
		// Feeds often list a range by one of its addresses
		// (203.0.113.7/24); the range is what they mean.
		p = canonicalPrefix(p)
		return value{typ: k, addr: p.Addr(), bits: p.Bits()}, nil
	case kindDomain:
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if msg := domainProblem(d); msg != "" {
			return value{}, fmt.Errorf("%q is not a domain: %s", v, msg)
		}
		return value{typ: k, key: d}, nil
	case kindURL:
		if msg := urlProblem(v); msg != "" {
			return value{}, fmt.Errorf("%q is not a URL: %s", v, msg)
		}
		return value{typ: k, key: normalizeURL(v)}, nil
	case kindMD5, kindSHA1, kindSHA256:
		want := 64
		switch k {
		case kindMD5:
			want = 32
		case kindSHA1:
			want = 40
		}
		if len(v) != want || !isHex(v) {
			return value{}, fmt.Errorf("%q is not an %s hash: want %d hex digits", v, k, want)
		}
		return value{typ: k, key: v}, nil
	}
	return value{}, fmt.Errorf("unknown type %q: want one of %s", k, strings.Join(Types(), ", "))
}

// inferValue is parseValue for a value of unknown kind. It decides the
// kind as inferKind does, but keeps what it parsed on the way instead of
// parsing and validating the value a second time: bare lists are inferred
// line by line, so this is most of the cost of loading one.
func inferValue(v string) (value, error) {
	switch {
	case strings.Contains(v, "://"):
		return parseValue(kindURL, v)
	case strings.Contains(v, "/"):
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return value{}, cannotTell(v)
		}
		p = canonicalPrefix(p)
		return value{typ: kindCIDR, addr: p.Addr(), bits: p.Bits()}, nil
	}
	if mayBeAddr(v) {
		if a, err := netip.ParseAddr(v); err == nil {
			a = a.Unmap().WithZone("")
			if a.Is4() {
				return value{typ: kindIPv4, addr: a}, nil
			}
			return value{typ: kindIPv6, addr: a}, nil
		}
	}
	switch len(v) {
	case 32, 40, 64:
		if isHex(v) {
			k := kindSHA256
			switch len(v) {
			case 32:
				k = kindMD5
			case 40:
				k = kindSHA1
			}
			return value{typ: k, key: v}, nil
		}
	}
	d := strings.TrimSuffix(strings.ToLower(v), ".")
	if domainProblem(d) == "" {
		return value{typ: kindDomain, key: d}, nil
	}
	return value{}, cannotTell(v)
}

func cannotTell(v string) error {
	return fmt.Errorf("cannot tell the type of %q: want an IP, CIDR, domain, URL or MD5/SHA-1/SHA-256 hash", v)
}

// canonicalPrefix masks p, strips a zone and turns an IPv4-mapped IPv6
// range into the IPv4 range it covers, matching how addresses are looked
// up.
func canonicalPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return netip.PrefixFrom(a, p.Bits()).Masked()
}

// normalizeURL lower-cases the scheme and host (the parts that are case
// insensitive) and trims a trailing slash; the path and query keep their
// case because servers may treat it as significant.
func normalizeURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return strings.TrimSuffix(v, "/")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if !hasUpper(scheme) && !hasUpper(rest[:end]) {
		return strings.TrimSuffix(v, "/")
	}
	return strings.TrimSuffix(strings.ToLower(scheme)+"://"+strings.ToLower(rest[:end])+rest[end:], "/")
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func urlProblem(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	switch {
	case !ok:
		return `want scheme://host/path`
	case scheme == "" || !isScheme(scheme):
		return "bad scheme"
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "contains spaces or control characters"
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return "no host"
	}
	return ""
}

func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// domainProblem says what is wrong with a lower-cased domain without its
// trailing dot, or "" when it is a plausible domain. Non-ASCII letters are
// allowed, because feeds list IDNs in both forms.
func domainProblem(d string) string {
	switch {
	case d == "":
		return "empty"
	case len(d) > 253:
		return "longer than 253 characters"
	case strings.HasPrefix(d, "*."):
		return "wildcards are not supported; list the domain itself"
	case !strings.Contains(d, "."):
		return "want at least two labels, such as example.net"
	}
	if mayBeAddr(d) {
		if _, err := netip.ParseAddr(d); err == nil {
			return "is an IP address"
		}
	}
	last := ""
	for rest := d; ; {
		l, tail, more := strings.Cut(rest, ".")
		if l == "" || len(l) > 63 {
			return "labels must be 1-63 characters"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "labels may not start or end with '-'"
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r > 0x7f) {
				return fmt.Sprintf("character %q is not allowed", r)
			}
		}
		if !more {
			last = l
			break
		}
		rest = tail
	}
	if isDigits(last) {
		return "the top-level label is numeric"
	}
	return ""
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	var bad byte
	for i := 0; i < len(s); i++ {
		bad |= hexVal[s[i]]
	}
	return bad&notHex == 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
