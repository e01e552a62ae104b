package jira

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// maxErrorBody bounds how much of an error answer is read and kept.
const maxErrorBody = 2048

// apiClient is the HTTP client go-jira sends through. It turns every
// non-2xx answer into an *httpx.StatusError before go-jira sees it:
// go-jira reduces error answers to strings that lose the status and
// Retry-After, which the activity boundary needs to decide on a retry.
type apiClient struct {
	hc  *http.Client
	now func() time.Time
}

// Do implements go-jira's httpClient.
func (c apiClient) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError{err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	u := *req.URL
	// The query carries the JQL, which is long and names the incident;
	// the path is enough to say which call failed.
	u.RawQuery, u.User = "", nil
	return nil, &httpx.StatusError{
		Method:     req.Method,
		URL:        u.String(),
		Code:       resp.StatusCode,
		Body:       errorText(body),
		RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
}

// transportError marks an error that happened before any answer arrived,
// so that cause can take it back out of go-jira's wrapping.
type transportError struct{ err error }

func (e transportError) Error() string { return e.err.Error() }
func (e transportError) Unwrap() error { return e.err }

// cause digs the error apiClient returned out of go-jira's wrapping
// ("No response returned: ..."): the *httpx.StatusError for an answer, the
// network error itself otherwise.
func cause(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return se
	}
	var te transportError
	if errors.As(err, &te) {
		return te.err
	}
	return err
}

// errorText renders Jira's error collection, {"errorMessages": [...],
// "errors": {"field": "message"}}, as "message; field: message". Other
// bodies (a proxy's HTML page, Atlassian's gateway {"message": ...}) are
// kept as they are, trimmed.
func errorText(body []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		var parts []string
		for _, m := range e.ErrorMessages {
			if m = strings.TrimSpace(m); m != "" {
				parts = append(parts, m)
			}
		}
		fields := make([]string, 0, len(e.Errors))
		for f := range e.Errors {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			parts = append(parts, f+": "+e.Errors[f])
		}
		if m := strings.TrimSpace(e.Message); m != "" {
			parts = append(parts, m)
		}
		if len(parts) > 0 {
			return alert.Truncate(strings.Join(parts, "; "), maxErrorBody)
		}
	}
	return alert.Truncate(strings.TrimSpace(string(body)), maxErrorBody)
}
