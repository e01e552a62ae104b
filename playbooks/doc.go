// Package playbooks holds socflow's response playbooks, written as Go
// workflow code.
//
// A playbook runs inside an Incident workflow. It reads the case (alerts,
// entities, score, context packet), proposes containment actions, asks for
// a decision through the escalation ladder, and contains what was approved.
// The Case it receives does the I/O; a playbook only decides. Its steps:
//
//   - View: the case as it stands (a deep copy: score, entities, rules,
//     ATT&CK techniques, context packet), to branch on;
//   - Note: a line in the timeline;
//   - Decide: propose actions and run the escalation ladder (T1, T2, IR,
//     with their timeouts) until someone decides or the policy's default
//     applies;
//   - Contain: carry out the approved actions, verified, leased and undone
//     as a saga when one fails;
//   - Ask: a durable question to a tier (Slack buttons, the web view, the
//     CLI), answered by one of its approvers or settled by its default at
//     the timeout; name it (Key) when questions may be asked concurrently;
//   - Enrich: an enrichment source run again on the case, or an extra
//     one (a hash at VirusTotal, the event store by the sender's domain);
//   - Wait: a durable pause;
//   - Notify: a message to the tier (Slack thread, console) and the
//     ticket; Comment: the ticket only; Transition: the ticket's workflow;
//   - Run: one of the playbook's own activities, registered by the
//     engineer's worker, whose result is kept;
//   - Call: an HTTP API the configuration names (integrations.http), by
//     name, never by address.
//
// The shipped playbooks are in playbooks.go (version 1, kept for the
// incidents begun on it) and runbooks.go (version 2); playbooks/cacaobook
// runs OASIS CACAO v2 documents on the same steps.
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
//  3. Return every error a Case call returns, unchanged. An incident may
//     continue as new in the middle of a playbook (a long ladder in a
//     storm): its Case calls then return an error, the playbook unwinds,
//     and the new run calls the playbook again from the start. The calls
//     already made return what they returned before without acting again,
//     and the call in progress resumes (the ladder keeps its tier and
//     deadline, a containment its done-list). So a playbook must be a
//     deterministic function of what its Case calls return, and must not
//     keep state of its own across them.
//  4. Test it with playbooks/playbookstest, which runs it in the real
//     Incident workflow on the SDK's test environment (time skips) with
//     fakes for every integration and scripted responders, and returns the
//     status, the vendor calls and the timeline: a table test per playbook
//     is a few lines (playbooks_test.go has the shipped ones'). `socflow
//     playbook test NAME --alert FILE` runs the same from the command line.
//
// Changing what a running playbook does breaks replay of incidents already
// in flight. Register the changed playbook as a new Version beside the old
// one: an incident keeps the version it started with (across
// continue-as-new too) and new incidents take the latest; remove the old
// version once no incident on it can be open. A change inside one version
// needs workflow.GetVersion, as any workflow change does.
package playbooks
