package devserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enums "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	pollInterval = 100 * time.Millisecond
	// attemptTimeout keeps one hung call from eating the whole readiness
	// budget while the server is still wiring itself up.
	attemptTimeout = 5 * time.Second
)

// waitReady blocks until the server is usable the way socflow uses it: the
// frontend answers, the namespace resolves with the requested retention, the
// search attributes are visible and, if enabled, the UI accepts connections.
func (s *Server) waitReady(ctx context.Context, opts Options) error {
	err := poll(ctx, "dial frontend "+s.frontendAddr, func(ctx context.Context) error {
		// This client only administers the namespace (retention, search
		// attributes) and never reads or writes a payload, so it needs no
		// payload codec; socflow's own clients get theirs in worker.Dial.
		c, err := client.DialContext(ctx, client.Options{
			HostPort:  s.frontendAddr,
			Namespace: s.namespace,
			Logger:    sdklog.NewStructuredLogger(s.chatty.With("component", "temporal-client")),
		})
		if err != nil {
			return err
		}
		s.client = c
		return nil
	})
	if err != nil {
		return err
	}

	err = poll(ctx, "check frontend health", func(ctx context.Context) error {
		_, err := s.client.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if err != nil {
		return err
	}
	if err := s.ensureRetention(ctx, opts.Retention); err != nil {
		return err
	}
	if err := s.ensureSearchAttributes(ctx, opts.SearchAttributes); err != nil {
		return err
	}
	if s.ui != nil {
		// A UI that never binds is not worth failing `socflow dev` over:
		// workflows still run, so say so and carry on.
		if err := poll(ctx, "reach UI", s.dialUI); err != nil {
			s.logger.Warn("temporal UI not reachable", "url", s.uiURL, "error", err)
		}
	}
	return nil
}

// ensureRetention sets the namespace retention when it differs, which it does
// on every new namespace: the schema helper always creates 24h.
func (s *Server) ensureRetention(ctx context.Context, want time.Duration) error {
	var current time.Duration
	err := poll(ctx, "describe namespace "+s.namespace, func(ctx context.Context) error {
		resp, err := s.client.WorkflowService().DescribeNamespace(ctx,
			&workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
		if err != nil {
			return err
		}
		current = resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
		return nil
	})
	if err != nil || current == want {
		return err
	}
	return poll(ctx, "set retention of "+s.namespace, func(ctx context.Context) error {
		_, err := s.client.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: s.namespace,
			Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(want)},
		})
		return err
	})
}

// ensureSearchAttributes adds the requested search attributes that the
// namespace lacks (a DB file created by an older socflow) and waits until all
// of them are listed, so the first workflow start can use them.
func (s *Server) ensureSearchAttributes(ctx context.Context, want map[string]enums.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	ops := s.client.OperatorService()
	var missing map[string]enums.IndexedValueType
	listMissing := func(ctx context.Context) error {
		resp, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.namespace})
		if err != nil {
			return err
		}
		missing, err = missingSearchAttributes(want, resp.GetCustomAttributes())
		return err
	}
	if err := poll(ctx, "list search attributes", listMissing); err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	s.logger.Info("adding search attributes", "namespace", s.namespace, "names", slices.Sorted(maps.Keys(missing)))
	// Every service must see them before the first workflow uses them,
	// not when its cache next refreshes.
	s.dynamic.forceSearchAttributeRefresh()
	err := poll(ctx, "add search attributes", func(ctx context.Context) error {
		_, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        s.namespace,
			SearchAttributes: missing,
		})
		var exists *serviceerror.AlreadyExists
		if errors.As(err, &exists) {
			// Another start added them first; the check below still
			// verifies their types.
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return poll(ctx, "wait for search attributes", func(ctx context.Context) error {
		if err := listMissing(ctx); err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("not visible yet: %s", strings.Join(slices.Sorted(maps.Keys(missing)), ", "))
		}
		return nil
	})
}

// missingSearchAttributes returns the entries of want absent from have. An
// attribute present with another type is an error no retry can fix: the
// type of a search attribute cannot change once registered.
func missingSearchAttributes(want, have map[string]enums.IndexedValueType) (map[string]enums.IndexedValueType, error) {
	missing := map[string]enums.IndexedValueType{}
	var conflicts []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		got, ok := have[name]
		switch {
		case !ok:
			missing[name] = want[name]
		case got != want[name]:
			conflicts = append(conflicts, fmt.Sprintf("%s is %s, want %s", name, got, want[name]))
		}
	}
	if len(conflicts) > 0 {
		return nil, permanent{fmt.Errorf("search attribute type mismatch (use a new DB file): %s", strings.Join(conflicts, "; "))}
	}
	return missing, nil
}

// permanent marks an error that retrying will not fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// isPermanent reports errors that poll should return at once rather than
// retry until the deadline hides them behind a timeout.
func isPermanent(err error) bool {
	if errors.As(err, &permanent{}) {
		return true
	}
	var svcErr serviceerror.ServiceError
	if !errors.As(err, &svcErr) {
		return false
	}
	switch svcErr.Status().Code() {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented:
		return true
	}
	return false
}

// poll calls fn until it succeeds, fails permanently or ctx ends. Transient
// failures are expected while the server's services finish starting.
func poll(ctx context.Context, what string, fn func(context.Context) error) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := fn(attemptCtx)
		cancel()
		switch {
		case err == nil:
			return nil
		case isPermanent(err):
			return fmt.Errorf("devserver: %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: %s: %w (last error: %w)", what, ctx.Err(), err)
		case <-ticker.C:
		}
	}
}
