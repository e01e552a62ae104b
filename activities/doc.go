// Package activities is where socflow does I/O: one struct per stage, each
// holding the small interfaces it needs, built once by the worker.
//
// Retry classes. Every error leaves an activity classified, by Classify:
//   - bad request, failed authentication or authorisation, not found, and
//     "not configured" become non-retryable application errors whose type is
//     one of the Err* names in errors.go: repeating them cannot help, and a
//     retry storm against an EDR that refuses our token helps nobody;
//   - rate limiting (429, with the service's Retry-After), server errors and
//     network failures stay retryable, under the stage's retry policy.
//
// Lookups served from memory (intel index, inventory) run as local
// activities; calls to remote services run as regular activities with their
// own timeouts.
package activities
