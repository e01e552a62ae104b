package httpx

import "testing"

func TestBaseURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.example":      true,
		"http://127.0.0.1:8080/x":  true,
		"ftp://api.example":        false,
		"https://":                 false,
		"api.example":              false,
		"/relative":                false,
		"https://a b.example":      false,
		"HTTPS://api.example/path": true,
	} {
		if _, err := BaseURL(raw); (err == nil) != ok {
			t.Errorf("BaseURL(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.8.9.1": true, "::1": true, "[::1]": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false, "localhost.example": false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
