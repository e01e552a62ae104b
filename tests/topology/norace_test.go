//go:build !race

package topology

// raceBuild builds the child processes with the race detector when the test
// has it, so that they reuse the packages `go test -race ./...` compiled.
const raceBuild = false
