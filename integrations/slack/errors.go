package slack

import (
	"errors"
	"fmt"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/socflow/socflow/integrations/httpx"
)

// apiError turns an error from a slack-go call of the Web API method into
// one activities.Classify understands, prefixed with the method:
//
//   - *slackapi.RateLimitedError: StatusError 429 with its RetryAfter;
//   - slackapi.StatusCodeError (a non-200 answer): StatusError with that code;
//   - an "ok":false answer: 401/403 for token trouble, 404 for a missing
//     channel, message or user, 429/5xx for Slack's own trouble, 400 for
//     anything else (a request Slack will keep refusing);
//   - anything else (network errors, timeouts) is wrapped as it is, which
//     Classify retries.
func apiError(method string, err error) error {
	if err == nil {
		return nil
	}
	se := &httpx.StatusError{Method: http.MethodPost, URL: method}
	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	var er slackapi.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		se.Code, se.RetryAfter, se.Body = http.StatusTooManyRequests, rl.RetryAfter, "rate limited"
	case errors.As(err, &sc):
		se.Code, se.Body = sc.Code, sc.Status
	case errors.As(err, &er):
		se.Code, se.Body = errorCodeStatus(er.Err), er.Err
		if er.Needed != "" {
			se.Body += " (needs scope " + er.Needed + ")"
		}
	default:
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	return fmt.Errorf("slack: %s: %w", method, se)
}

// errorCodeStatus maps a Slack error code onto the HTTP status that says
// what a retry would do. Slack answers most failures with HTTP 200 and
// {"ok":false,"error":code}; activities.Classify, which knows
// *httpx.StatusError, then decides once for every integration.
func errorCodeStatus(code string) int {
	switch code {
	// The token is wrong or gone: retrying will not help.
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		return http.StatusUnauthorized
	case "no_permission", "missing_scope", "not_allowed_token_type", "ekm_access_denied", "access_denied":
		return http.StatusForbidden
	// The channel, message or user is not there, or the bot is not in the
	// channel.
	case "channel_not_found", "not_in_channel", "is_archived", "message_not_found",
		"thread_not_found", "user_not_found", "user_not_in_channel", "no_such_subteam":
		return http.StatusNotFound
	// Slack's own trouble: the same call may succeed later.
	case "ratelimited", "rate_limited":
		return http.StatusTooManyRequests
	case "fatal_error", "internal_error":
		return http.StatusInternalServerError
	case "service_unavailable", "request_timeout":
		return http.StatusServiceUnavailable
	}
	// Anything else (invalid_blocks, msg_too_long, ...) is a request Slack
	// will keep refusing.
	return http.StatusBadRequest
}
