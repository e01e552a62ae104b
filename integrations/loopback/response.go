package loopback

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// Response is an answer a fake works out, under its lock, before it
// writes it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON returns an answer with v as its JSON body, leaving <, > and & as
// they are, as the vendors' APIs do.
func JSON(status int, v any) Response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a fake's own bug gets here: its answers are its own types.
		return Response{Status: http.StatusInternalServerError, Body: []byte(`{"error":"loopback: encode the answer"}`)}
	}
	return Response{Status: status, Body: buf.Bytes()}
}

// Write writes the answer; a body is sent as contentType unless the
// answer's header names another.
func (a Response) Write(w http.ResponseWriter, contentType string) {
	h := w.Header()
	for k, vs := range a.Header {
		h[k] = vs
	}
	if a.Body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// Answer returns derived, the vendor's own answer to the fault's status,
// with the fault's Body and Retry-After. A Body that is not JSON is sent
// as text/html, as a proxy in front of the API sends its error pages.
func (f Fault) Answer(derived Response) Response {
	h := derived.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if f.Body != "" {
		derived.Body = []byte(f.Body)
		if b := strings.TrimSpace(f.Body); !strings.HasPrefix(b, "{") && !strings.HasPrefix(b, "[") {
			h.Set("Content-Type", "text/html;charset=UTF-8")
		}
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	derived.Header = h
	return derived
}
