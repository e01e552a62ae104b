package config_test

import (
	"testing"

	"github.com/socflow/socflow/config"
)

func TestCheckHTTPURL(t *testing.T) {
	for _, tc := range []struct {
		raw          string
		http, secure bool
	}{
		{"https://api.example.com", true, true},
		{"https://api.example.com:8443/v1/", true, true},
		{"http://api.example.com", true, false},
		{"http://127.0.0.1:8080/token", true, true},
		{"http://[::1]:8080", true, true},
		{"http://localhost/token", true, true},
		{"ftp://api.example.com", false, false},
		{"api.example.com", false, false},
		{"https://", false, false},
		{"", false, false},
		{"https://exa mple.com", false, false},
	} {
		if err := config.CheckHTTPURL(tc.raw); (err == nil) != tc.http {
			t.Errorf("CheckHTTPURL(%q) = %v, want ok=%v", tc.raw, err, tc.http)
		}
		if err := config.CheckHTTPSURL(tc.raw); (err == nil) != tc.secure {
			t.Errorf("CheckHTTPSURL(%q) = %v, want ok=%v", tc.raw, err, tc.secure)
		}
	}
}
