package integration

import (
	"os"
	"slices"
	"testing"

	"go.temporal.io/server/common/dynamicconfig"
)

// TestComposeDynamicConfig checks docker-compose's Temporal dynamic config
// with the server's own loader, which reports unknown keys and bad values.
// It lives here rather than in tests/compose because this package already
// links the Temporal server; the compose tests stay small.
func TestComposeDynamicConfig(t *testing.T) {
	data, err := os.ReadFile("../../deploy/temporal-dynamicconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lr := dynamicconfig.LoadYamlFile(data)
	for _, err := range slices.Concat(lr.Errors, lr.Warnings) {
		t.Errorf("deploy/temporal-dynamicconfig.yaml: %v", err)
	}
	if len(lr.Map) == 0 {
		t.Error("deploy/temporal-dynamicconfig.yaml sets nothing")
	}
}
