package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/incidents"
)

// The commands that change state (incident decide, token) go through the
// HTTP API, so that who acts is the credential's principal, checked by the
// API, never a name the CLI was told.

// APIFlags are the flags of commands that talk to the HTTP API.
type APIFlags struct {
	// URL is the API's base URL; "" means $SOCFLOW_API, else
	// http://<server.addr> (the local `socflow dev`).
	URL string
}

func (a *APIFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.URL, "api", "", "socflow API base URL (default $SOCFLOW_API, else http://<server.addr>, the local socflow dev)")
}

// APIClient calls the socflow HTTP API: in goes as JSON when not nil, and
// a 2xx answer is decoded into out. Another answer is an error that
// ExitCode maps (401 and 403 to ExitAuth, 404 to ExitNotFound, ...).
type APIClient interface {
	Do(ctx context.Context, method, path string, in, out any) error
}

// apiClient calls the HTTP API with the CLI's credential.
type apiClient struct {
	base  string
	token string
	via   string
	http  *http.Client
}

// errNoToken says where the CLI looks for a credential.
func errNoToken(dataDir string) error {
	return &authError{msg: fmt.Sprintf("no API token: set SOCFLOW_TOKEN, or start `socflow dev`, which writes one to %s",
		filepath.Join(dataDir, "token"))}
}

// authError is a missing or refused credential (exit code ExitAuth).
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

// apiStatusError is an API answer other than the one expected.
type apiStatusError struct {
	Status int
	Msg    string
}

func (e *apiStatusError) Error() string { return fmt.Sprintf("API answered %d: %s", e.Status, e.Msg) }

// apiClient is the factory's API: Factory.API, else the configured one.
func (f *Factory) apiClient(flags APIFlags) (APIClient, error) {
	if f.API != nil {
		return f.API(flags)
	}
	c, err := f.api(flags)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// api returns a client for the configured API, reading the credential
// from SOCFLOW_TOKEN or the token file `socflow dev` writes in the data
// directory.
func (f *Factory) api(flags APIFlags) (*apiClient, error) {
	cfg, err := f.loadConfig("")
	if err != nil {
		return nil, err
	}
	base := flags.URL
	if base == "" {
		if v, ok := f.LookupEnv("SOCFLOW_API"); ok && v != "" {
			base = v
		} else {
			base = "http://" + cfg.Server.Addr
		}
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, usageErrorf("--api %q: give a URL such as http://127.0.0.1:8080", base)
	}
	token, _ := f.LookupEnv("SOCFLOW_TOKEN")
	token = strings.TrimSpace(token)
	if token == "" {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, "token"))
		if err != nil {
			return nil, errNoToken(cfg.DataDir)
		}
		token = strings.TrimSpace(string(b))
	}
	return &apiClient{base: strings.TrimRight(base, "/"), token: token, via: "cli", http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Do sends in (JSON, when not nil) and decodes a 2xx answer into out.
func (c *apiClient) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return usageErrorf("API request: %v", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Socflow-Via", c.via)
	resp, err := c.http.Do(req)
	if err != nil {
		return unavailable(fmt.Errorf("API %s: %w", c.base, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return unavailable(fmt.Errorf("API %s: %w", c.base, err))
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return &authError{msg: e.Error}
		}
		return &apiStatusError{Status: resp.StatusCode, Msg: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("API answer to %s %s: %w", method, path, err)
	}
	return nil
}

// incidentAPIError maps the API's answer to a request about an incident
// onto the exit codes: a refusal by the incident (409) is ExitRejected, an
// unknown incident (404) ExitNotFound; anything else is returned as is.
func incidentAPIError(err error) error {
	switch {
	case asAPIError(err, http.StatusConflict):
		return &rejectedError{msg: err.Error()}
	case asAPIError(err, http.StatusNotFound):
		return fmt.Errorf("%w: %v", incidents.ErrNotFound, err)
	}
	return err
}

// asAPIError reports whether err is an API answer with one of codes.
func asAPIError(err error, codes ...int) bool {
	var se *apiStatusError
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Status == c {
			return true
		}
	}
	return false
}
