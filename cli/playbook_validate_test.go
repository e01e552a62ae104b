package cli

import (
	"testing"

	"github.com/socflow/socflow/alert"
)

// TestValidateNamesTheKeyForEveryKind: a playbook that may propose a kind
// no provider carries out is told which integration to configure, for
// every kind there is.
func TestValidateNamesTheKeyForEveryKind(t *testing.T) {
	for _, k := range alert.ActionKinds() {
		if needs[k] == "" {
			t.Errorf("%s: no integration named", k)
		}
	}
}
