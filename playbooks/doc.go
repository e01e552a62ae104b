// Package playbooks holds socflow's response playbooks, written as Go
// workflow code.
//
// A playbook runs inside an Incident workflow. It reads the case (alerts,
// entities, score, context packet), proposes containment actions, asks for
// a decision through the escalation ladder, and contains what was approved.
// The Case it receives does the I/O; a playbook only decides.
//
// How to write one:
//
//  1. Write func(ctx workflow.Context, c Case) error. Use only the Case and
//     the workflow package: no time.Now, no goroutines (use workflow.Go), no
//     network, no randomness, no map iteration whose order matters. The code
//     is replayed, and must decide the same way every time.
//  2. Add it to Builtin() (or register it in your own worker with
//     Registry.Add) under a stable name, and route alerts to it in
//     socflow.yaml (routing.rules[].playbook).
//  3. Test it with the SDK's test environment: see playbooks_test.go.
//
// Changing what a running playbook does breaks replay of incidents already
// in flight: guard such changes with workflow.GetVersion.
package playbooks
