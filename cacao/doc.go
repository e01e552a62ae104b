// Package cacao reads OASIS CACAO v2 playbooks and runs them inside a
// Temporal workflow.
//
// A playbook from outside goes through [Validate] (the CACAO v2 JSON schema,
// then the rules the schema cannot express) and [Supported] (only manual and
// http-api commands are runnable); [Run] then interprets it, calling an
// [Executor] for each command. [FromPlan] writes a plan as a playbook.
//
// # Determinism
//
// Run is workflow code. It reads no clock and no randomness, sorts map keys
// wherever order shows, waits through workflow.Sleep and timers, and runs
// parallel branches with workflow.Go; branches share the playbook's
// variables, and Temporal's cooperative scheduling makes their interleaving
// the same on every replay. The Executor is called from workflow code too
// and must keep to the same rules.
//
// # Writing a playbook socflow can run
//
// Steps: start, end, action, playbook-action, parallel, if-condition,
// while-condition, switch-condition. Commands: manual (the text is put to an
// analyst; the answer is the result) and http-api ("METHOD target HTTP/1.1",
// headers, content). Variables are written __name__ and used as
// __name__:value; conditions are the STIX comparison subset described at
// [Condition]; a switch names a variable. Limits: RunOptions.MaxIterations for
// while loops and cycles, RunOptions.MaxDepth for playbook-action nesting.
//
// This package depends only on the Temporal SDK, the JSON schema library and
// the standard library, so that the rest of socflow adapts it and not the
// reverse.
package cacao
