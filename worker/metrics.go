package worker

import (
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// sdkRegistry is the Prometheus registry the Temporal SDK's metrics
// (temporal_request_total, temporal_workflow_task_execution_latency_seconds,
// ...) of every client [Dial] makes report to; [NewAPI] serves it on
// /metrics beside the API's own. It is one per process, not one per
// client or per API: clients are dialled before the API is built (and by
// commands that serve none), and the SDK tags each metric with its
// namespace and task queue.
var sdkRegistry = prometheus.NewRegistry()

// TemporalMetrics gathers the Temporal SDK's metrics of every client Dial
// made in this process, for a command that serves them elsewhere than
// the API.
func TemporalMetrics() prometheus.Gatherer { return sdkRegistry }

var sdkMetrics struct {
	once    sync.Once
	handler client.MetricsHandler
}

// sanitize makes names and label keys valid for Prometheus, as the SDK's
// PrometheusSanitizeOptions do, but leaves label values as they are
// (Prometheus takes any): a namespace or task queue "soc-prod" stays
// that, as the Temporal server's own metrics name it.
var sanitize = tally.SanitizeOptions{
	NameCharacters:       sdktally.PrometheusSanitizeOptions.NameCharacters,
	KeyCharacters:        sdktally.PrometheusSanitizeOptions.KeyCharacters,
	ValueCharacters:      tally.ValidCharacters{Ranges: []tally.SanitizeRange{{0, utf8.MaxRune}}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// metricsHandler is the SDK metrics handler reporting to sdkRegistry,
// made on the first Dial, whose logger hears of a metric it cannot export.
// Tally flushes to the Prometheus collectors every second.
func metricsHandler(logger *slog.Logger) client.MetricsHandler {
	sdkMetrics.once.Do(func() {
		if logger == nil {
			logger = slog.Default()
		}
		reporter := tallyprom.NewReporter(tallyprom.Options{
			Registerer:       sdkRegistry,
			DefaultTimerType: tallyprom.HistogramTimerType,
			// 1 ms to 70 minutes: activity latencies include containment
			// calls and end-to-end latencies include human waits.
			DefaultHistogramBuckets: prometheus.ExponentialBuckets(0.001, 4, 12),
			// The reporter's default panics; a metric the SDK tags
			// inconsistently must not take the worker down.
			OnRegisterError: func(err error) {
				logger.Warn("temporal sdk metric not exported", "error", err)
			},
		})
		scope, _ := tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sanitize,
		}, time.Second)
		sdkMetrics.handler = sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
	})
	return sdkMetrics.handler
}
