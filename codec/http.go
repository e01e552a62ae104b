package codec

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// DefaultMaxBodyBytes bounds a request to the codec endpoint when
// HandlerOptions.MaxBodyBytes is zero: the UI decodes a page of a history
// at a time, far below this.
const DefaultMaxBodyBytes = 16 << 20

// ErrUnauthorized is what an Authorize hook returns for a request without
// valid credentials; the handler answers it with 401, any other error with
// 403.
var ErrUnauthorized = errors.New("codec: unauthorized")

// HandlerOptions configure [NewHandler].
type HandlerOptions struct {
	// Authorize decides whether a request may encode or decode. It is
	// required: a codec endpoint hands out clear alert data, so it must
	// say who may have it. [BearerToken] checks a static token; principals
	// and roles plug in here. It is not called for CORS preflights, which
	// browsers send without credentials.
	Authorize func(*http.Request) error
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the endpoint with credentials: the Temporal UI's. A request
	// from any other origin gets no CORS headers, so a browser does not
	// let the page read the answer.
	CORSOrigins []string
	// MaxBodyBytes bounds a request body (DefaultMaxBodyBytes when zero).
	MaxBodyBytes int64
}

// corsHeaders are what the Temporal UI sends (its codec fetch sets
// X-Namespace, and the access token with Authorization and
// Authorization-Extras when passAccessToken is on).
const corsHeaders = "Authorization, Authorization-Extras, Content-Type, X-Namespace"

// NewHandler serves Temporal's remote codec protocol for c: POST
// {prefix}/encode and {prefix}/decode with a JSON body {"payloads": [...]},
// answered in kind. The Temporal UI and `temporal` CLI call it with the
// endpoint's URL (the prefix included) as their codec endpoint.
func NewHandler(c *Codec, o HandlerOptions) (http.Handler, error) {
	if c == nil {
		return nil, errors.New("codec: NewHandler needs a codec")
	}
	if o.Authorize == nil {
		return nil, errors.New("codec: HandlerOptions.Authorize is required: the endpoint returns clear payloads")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &handler{o: o, codec: converter.NewPayloadCodecHTTPHandler(c)}, nil
}

type handler struct {
	o     HandlerOptions
	codec http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The answer depends on Origin: caches must not reuse it across origins.
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	allowed := origin != "" && slices.Contains(h.o.CORSOrigins, origin)
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		if !allowed {
			writeError(w, http.StatusForbidden, fmt.Sprintf("origin %q may not call this codec endpoint", origin))
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "use POST .../encode or .../decode")
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/encode") && !strings.HasSuffix(r.URL.Path, "/decode") {
		writeError(w, http.StatusNotFound, "no such codec route: use .../encode or .../decode")
		return
	}
	if err := h.o.Authorize(r); err != nil {
		if errors.Is(err, ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="socflow codec"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes)
	h.codec.ServeHTTP(w, r)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// BearerToken is an Authorize hook that accepts only requests carrying
// "Authorization: Bearer <token>", compared in constant time.
func BearerToken(token string) func(*http.Request) error {
	want := []byte(token)
	return func(r *http.Request) error {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || got == "" {
			return fmt.Errorf("%w: send Authorization: Bearer <token>", ErrUnauthorized)
		}
		if len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return fmt.Errorf("%w: the bearer token is not valid", ErrUnauthorized)
		}
		return nil
	}
}

// LoopbackHost is an Authorize hook for a codec endpoint that listens on
// loopback without a token (`socflow dev`): it accepts only requests whose
// Host is a loopback name with the given port, so that a web page that
// rebinds its own name to 127.0.0.1 cannot read decoded payloads.
func LoopbackHost(port string) func(*http.Request) error {
	allowed := map[string]bool{}
	for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
		allowed[h+":"+port] = true
	}
	return func(r *http.Request) error {
		if !allowed[strings.ToLower(r.Host)] {
			return fmt.Errorf("codec: host %q is not this endpoint's loopback address", r.Host)
		}
		return nil
	}
}
