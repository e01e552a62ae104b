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
