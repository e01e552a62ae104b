package workflows

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestErrTextSaysItOnce: a containment step without a provider failed
// with "block ip 203.0.113.7: no EDR integration (integrations.edr) (type:
// NotConfigured, retryable: false): no EDR integration (integrations.edr)
// (type: notConfigured, retryable: true): integration not configured" in
// the timeline. The responder reads the message once.
func TestErrTextSaysItOnce(t *testing.T) {
	cause := temporal.NewApplicationError("no EDR integration (integrations.edr)", "notConfigured", errors.New("integration not configured"))
	err := fmt.Errorf("activity error: %w", temporal.NewNonRetryableApplicationError(
		"block ip 203.0.113.7: no EDR integration (integrations.edr)", "NotConfigured", cause))
	if got, want := errText(err), "block ip 203.0.113.7: no EDR integration (integrations.edr)"; got != want {
		t.Errorf("errText = %q, want %q", got, want)
	}
}
