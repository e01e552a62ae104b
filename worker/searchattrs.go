package worker

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/workflows"
)

// SearchAttributeCheck is what the cluster has of socflow's search
// attributes.
type SearchAttributeCheck struct {
	// Missing are the required ones it lacks: a workflow setting one would
	// fail every task, so the worker refuses to start.
	Missing []string
	// MissingOptional are those it does without (OptionalSearchAttributeKeys).
	MissingOptional []string
	// Unchecked is set when the cluster would not say (an API key without
	// the operator permission): the worker starts, sets no optional
	// attribute, and says so.
	Unchecked error
}

// Has reports whether the cluster has the attribute (false when unchecked).
func (c SearchAttributeCheck) Has(k temporal.SearchAttributeKey) bool {
	if c.Unchecked != nil {
		return false
	}
	for _, m := range append(c.Missing, c.MissingOptional...) {
		if m == k.GetName() {
			return false
		}
	}
	return true
}

// Err is the refusal when required attributes are missing, with the
// command that creates them.
func (c SearchAttributeCheck) Err(namespace string) error {
	if len(c.Missing) == 0 {
		return nil
	}
	return fmt.Errorf("worker: namespace %s lacks socflow's search attributes %s; create them once: %s",
		namespace, strings.Join(c.Missing, ", "), CreateSearchAttributesCommand(namespace))
}

// CheckSearchAttributes asks the cluster which of socflow's search
// attributes it has.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) SearchAttributeCheck {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return SearchAttributeCheck{Unchecked: err}
	}
	var out SearchAttributeCheck
	optional := map[string]bool{}
	for _, k := range workflows.OptionalSearchAttributeKeys() {
		optional[k.GetName()] = true
	}
	for _, k := range workflows.SearchAttributeKeys() {
		name := k.GetName()
		if _, ok := resp.GetCustomAttributes()[name]; ok {
			continue
		}
		if optional[name] {
			out.MissingOptional = append(out.MissingOptional, name)
		} else {
			out.Missing = append(out.Missing, name)
		}
	}
	return out
}

// CreateSearchAttributesCommand is the Temporal CLI command that creates
// every socflow search attribute in the namespace.
func CreateSearchAttributesCommand(namespace string) string {
	var b strings.Builder
	b.WriteString("temporal operator search-attribute create --namespace " + namespace)
	for _, k := range workflows.SearchAttributeKeys() {
		fmt.Fprintf(&b, " --name %s --type %s", k.GetName(), cliType(k))
	}
	return b.String()
}

// cliType is the CLI's name of the attribute's type ("Keyword", "Int").
func cliType(k temporal.SearchAttributeKey) string {
	return strings.TrimPrefix(k.GetValueType().String(), "INDEXED_VALUE_TYPE_")
}
