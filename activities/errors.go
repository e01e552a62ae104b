package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/integrations/httpx"
)

// Non-retryable error types. Workflows and tests match on these strings
// (temporal.ApplicationError.Type), so they are part of the contract.
const (
	ErrBadRequest    = "BadRequest"
	ErrUnauthorized  = "Unauthorized"
	ErrNotFound      = "NotFound"
	ErrNotConfigured = "NotConfigured"
	// ErrTemporalLimit is a call Temporal refused for good: an invalid
	// argument or a payload, signal count or history past its limits.
	ErrTemporalLimit = "TemporalLimit"
	// ErrVendorFailed is a request the vendor took and then reports as
	// failed for good (a Defender machine action Failed, Cancelled or
	// TimedOut), with the vendor's reason.
	ErrVendorFailed = "VendorFailed"
)

// ErrInvalidInput marks an error that the same input would meet again
// (a record a store refuses): Classify makes it non-retryable (BadRequest).
var ErrInvalidInput = errors.New("invalid input")

// Classify wraps err with a short prefix and decides, once, whether
// Temporal should retry it. It returns nil for nil.
func Classify(prefix string, err error) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("%s: %v", prefix, err)
	var se *httpx.StatusError
	switch {
	case errors.Is(err, ErrInvalidInput):
		return temporal.NewNonRetryableApplicationError(msg, ErrBadRequest, err)
	case errors.As(err, new(vendorFailed)):
		return temporal.NewNonRetryableApplicationError(msg, ErrVendorFailed, err)
	case errors.Is(err, httpx.ErrNotConfigured):
		return temporal.NewNonRetryableApplicationError(msg, ErrNotConfigured, err)
	case errors.As(err, &se):
		switch {
		case se.Code == 401 || se.Code == 403:
			return temporal.NewNonRetryableApplicationError(msg, ErrUnauthorized, err)
		case se.Code == 404:
			return temporal.NewNonRetryableApplicationError(msg, ErrNotFound, err)
		case !se.Retryable():
			return temporal.NewNonRetryableApplicationError(msg, ErrBadRequest, err)
		case se.RetryAfter > 0:
			// Honour the service's own back-off instead of ours.
			return temporal.NewApplicationErrorWithOptions(msg, "RateLimited", temporal.ApplicationErrorOptions{
				Cause: err, NextRetryDelay: se.RetryAfter,
			})
		}
		return fmt.Errorf("%s: %w", prefix, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", prefix, err)
	}
	// Network errors, timeouts and anything unexpected: retry.
	return fmt.Errorf("%s: %w", prefix, err)
}

// IsType reports whether err is (or wraps) an application error of the
// given type.
func IsType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}

type notConfigured struct{ what string }

func (e notConfigured) Error() string { return e.what }
func (e notConfigured) Unwrap() error { return httpx.ErrNotConfigured }

func errNotConfigured(what string) error { return notConfigured{what} }

// vendorFailed is the vendor's reason for a request it reports failed.
type vendorFailed string

func (e vendorFailed) Error() string { return "the vendor reports the request failed: " + string(e) }
