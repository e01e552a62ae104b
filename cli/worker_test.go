package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestServeMetrics: the worker's --metrics-addr serves what it gathers in
// Prometheus's text format, and a bad address is a usage error.
func TestServeMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "temporal_request_total", Help: "h"})
	reg.MustRegister(c)
	c.Add(3)
	addr, stop, err := serveMetrics("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "temporal_request_total 3") {
		t.Errorf("GET /metrics = %d:\n%s", resp.StatusCode, body)
	}
	if _, _, err := serveMetrics("256.0.0.1:x", reg); ExitCode(err) != ExitUsage {
		t.Errorf("a bad address: %v (exit %d), want a usage error", err, ExitCode(err))
	}
}
