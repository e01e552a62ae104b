package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/webhook"
)

// HTTPTargets calls the configured HTTP targets (webhook.Targets).
type HTTPTargets interface {
	Do(ctx context.Context, c webhook.Call) (webhook.Response, error)
}

// Webhook carries out playbooks' HTTP calls (a CACAO http-api command) on
// the targets the configuration names.
type Webhook struct {
	Targets HTTPTargets
}

// CallHTTPInput is one call: the target by name, never an address.
type CallHTTPInput struct {
	Target string      `json:"target"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"header,omitempty"`
	Body   string      `json:"body,omitempty"`
}

// CallHTTPResult is the target's 2xx answer.
type CallHTTPResult struct {
	Status    int    `json:"status"`
	Body      string `json:"body,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

// CallHTTP sends the call. A 4xx answer (but 429) is returned as the
// result, not retried: the request is wrong and the playbook decides what
// that means (a CACAO step's on_failure). 429, 5xx and network errors are
// retried.
func (w *Webhook) CallHTTP(ctx context.Context, in CallHTTPInput) (CallHTTPResult, error) {
	if w.Targets == nil {
		return CallHTTPResult{}, Classify("http "+in.Target, errNotConfigured("no HTTP targets (integrations.http)"))
	}
	res, err := w.Targets.Do(ctx, webhook.Call{Target: in.Target, Method: in.Method, Path: in.Path, Header: in.Header, Body: in.Body})
	var se *httpx.StatusError
	if errors.As(err, &se) && !se.Retryable() {
		return CallHTTPResult{Status: res.Status, Body: res.Body, Truncated: res.Truncated}, nil
	}
	if errors.Is(err, webhook.ErrUnknownTarget) || errors.Is(err, webhook.ErrBadCall) {
		err = fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if err != nil {
		return CallHTTPResult{}, Classify("http "+in.Target, err)
	}
	return CallHTTPResult{Status: res.Status, Body: res.Body, Truncated: res.Truncated}, nil
}
