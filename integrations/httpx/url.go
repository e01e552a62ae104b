package httpx

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// errNotHTTPURL is BaseURL's refusal; callers say which URL and what form
// they want.
var errNotHTTPURL = errors.New("not an absolute http(s) URL with a host")

// BaseURL parses a service's base URL: absolute, http or https, with a
// host. It is the one check of the form: the configuration (config) and
// every client's constructor use it.
func BaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errNotHTTPURL
	}
	return u, nil
}

// LoopbackHost reports whether host (a name or an address, without a
// port) stays on this machine: "localhost" or a loopback address. ""
// and 0.0.0.0 are every interface, not loopback.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
