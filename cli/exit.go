package cli

import (
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/incidents"
)

// Exit codes. Scripts and runbooks depend on them: add, never renumber.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitConfig      = 3
	ExitNotFound    = 4
	ExitRejected    = 5
	ExitUnavailable = 6
	// ExitAuth is a missing, refused or insufficient credential.
	ExitAuth = 7
)

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// rejectedError is returned when some input was refused (alerts rejected,
// a decision refused); the command has already printed the details.
type rejectedError struct{ msg string }

func (e *rejectedError) Error() string { return e.msg }

type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

func unavailable(err error) error { return &unavailableError{err: err} }

// ExitCode maps an error to the process exit code. It is the only place
// that does.
func ExitCode(err error) int {
	var (
		ue  *usageError
		ce  *config.Error
		re  *rejectedError
		ire *incidents.RejectedError
		ua  *unavailableError
		su  *serviceerror.Unavailable
		dl  *serviceerror.DeadlineExceeded
		ae  *authError
		se  *apiStatusError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ce):
		return ExitConfig
	case errors.Is(err, incidents.ErrBadCursor), errors.Is(err, incidents.ErrBadRequest):
		return ExitUsage
	case errors.Is(err, incidents.ErrNotFound), errors.Is(err, incidents.ErrAlertNotFound):
		return ExitNotFound
	case errors.As(err, &re), errors.As(err, &ire):
		return ExitRejected
	case errors.As(err, &ua), errors.As(err, &su), errors.As(err, &dl):
		return ExitUnavailable
	case errors.As(err, &ae):
		return ExitAuth
	case errors.As(err, &se):
		switch {
		case se.Status == 404:
			return ExitNotFound
		case se.Status == 409:
			return ExitRejected
		case se.Status >= 500:
			return ExitUnavailable
		case se.Status == 400 || se.Status == 413 || se.Status == 415:
			return ExitUsage
		}
	}
	return ExitError
}
