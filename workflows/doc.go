// Package workflows orchestrates socflow's response: RespondToAlert (one run
// per alert fingerprint) and Incident (one run per correlated group). It only
// orchestrates: every side effect is an activity, every decision a pure
// function from package policy or a playbook.
//
// Determinism rules for everything in this package and in playbooks:
//   - time comes from workflow.Now and workflow.Sleep/AwaitWithTimeout,
//     never time.Now or time.Sleep;
//   - no goroutines, channels, select or mutexes from the standard library:
//     use workflow.Go, workflow.Channel, workflow.Selector;
//   - no I/O, no randomness, no environment, no reading of global state that
//     may change (the policy arrives through a local activity, which records
//     it in history);
//   - never branch on the iteration order of a map;
//   - a change to what running code does must be guarded by
//     workflow.GetVersion, and checked by the replay tests in tests/replay.
//
// api.go is the contract with everything outside: task queue, workflow IDs,
// signal, update and query names, and their input and result types.
package workflows
