package activities

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestPermanentTemporalError(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{serviceerror.NewInvalidArgument("search attribute SocflowRule exceeds size limit"), true},
		{fmt.Errorf("wrapped: %w", serviceerror.NewInvalidArgument("signal count limit")), true},
		{status.Error(codes.ResourceExhausted, "grpc: trying to send message larger than max (5000000 vs. 4194304)"), true},
		{serviceerror.NewResourceExhausted(0, "namespace rate limit exceeded"), false},
		{serviceerror.NewUnavailable("frontend unreachable"), false},
		{errors.New("connection reset"), false},
	}
	for _, c := range cases {
		if got := permanentTemporalError(c.err); got != c.want {
			t.Errorf("permanentTemporalError(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
