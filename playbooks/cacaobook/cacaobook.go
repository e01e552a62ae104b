// Package cacaobook runs OASIS CACAO v2 playbooks as socflow playbooks: a
// validated CACAO document becomes a playbooks.Playbook whose steps the
// package cacao interpreter walks inside the Incident workflow, a manual
// command answered through Case.Ask (Slack, the web view, the CLI) and an
// http-api command sent through Case.Call to a target the configuration
// names (integrations.http), never to an address the document gives.
//
// Imported documents are kept in a directory (Dir), one file per name and
// version: importing a changed document under a name already there adds a
// version, so that incidents begun on the old one finish on it.
package cacaobook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/cacao"
	"github.com/socflow/socflow/playbooks"
)

// Book is one imported CACAO playbook version.
type Book struct {
	// Name is socflow's name for it: the document's name, lower-case,
	// words joined by '-' ("isolate-and-notify").
	Name    string
	Version int
	Doc     *cacao.Playbook
	// Raw is the document as imported, for export.
	Raw []byte
	// Targets maps each http-api step's agent or target ID to the
	// configured HTTP target (integrations.http) of the same name.
	Targets map[string]string
}

// Name is the socflow name of a CACAO document: its name, lower-case,
// non-alphanumerics as '-'.
func Name(p *cacao.Playbook) string {
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(p.Name), "-"), "-")
	if s == "" {
		s = "cacao-" + strings.TrimPrefix(p.ID, "playbook--")
	}
	return s
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// Load validates a document and checks that socflow can run it: its
// command types (manual and http-api only), and an HTTP target configured
// for every agent or target an http-api command is sent to (hasTarget
// says which names are configured). The error names each problem, with
// the step.
func Load(data []byte, hasTarget func(name string) bool) (*Book, error) {
	p, err := cacao.Validate(data)
	if err != nil {
		return nil, err
	}
	if err := cacao.Supported(p); err != nil {
		return nil, err
	}
	b := &Book{Name: Name(p), Version: 1, Doc: p, Raw: data, Targets: map[string]string{}}
	var problems []string
	for _, id := range p.StepIDs() {
		s := p.Workflow[id]
		for _, c := range s.Commands {
			if c.Type != cacao.CommandHTTPAPI {
				continue
			}
			refs := append(append([]string{}, s.Targets...), s.Agent)
			found := false
			for _, ref := range refs {
				if ref == "" {
					continue
				}
				at, ok := p.AgentTarget(ref)
				if !ok || at.Name == "" {
					continue
				}
				if hasTarget(at.Name) {
					b.Targets[ref] = at.Name
					found = true
					break
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("step %s: its http-api command goes to %s, and integrations.http names no target %s (socflow sends http-api commands only to configured targets, by the agent's or target's name)",
					id, describeRefs(refs), targetNames(p, refs)))
			}
			break
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cacao playbook %s: %s", b.Name, strings.Join(problems, "; "))
	}
	return b, nil
}

func describeRefs(refs []string) string {
	var out []string
	for _, r := range refs {
		if r != "" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return "no agent or target"
	}
	return strings.Join(out, ", ")
}

func targetNames(p *cacao.Playbook, refs []string) string {
	var out []string
	for _, r := range refs {
		if at, ok := p.AgentTarget(r); ok && at.Name != "" {
			out = append(out, strconv.Quote(at.Name))
		}
	}
	if len(out) == 0 {
		return "(the agent has no name)"
	}
	return strings.Join(out, " or ")
}

// Playbook is the book as a socflow playbook.
func (b *Book) Playbook() playbooks.Playbook {
	desc := b.Doc.Description
	if desc == "" {
		desc = "CACAO playbook " + b.Doc.ID
	}
	return playbooks.Playbook{Name: b.Name, Version: b.Version, Description: "CACAO: " + firstLine(desc), Run: b.run}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// run walks the document with the cacao interpreter, its commands done
// through the case.
func (b *Book) run(ctx workflow.Context, c playbooks.Case) error {
	v := c.View()
	inputs := map[string]string{}
	for name := range b.Doc.PlaybookVariables {
		// External variables take the incident's values by name
		// (__host__, __user__, __source_ip__...).
		if val, ok := incidentValue(name, v); ok && b.Doc.PlaybookVariables[name].External {
			inputs[name] = val
		}
	}
	res, err := cacao.Run(ctx, b.Doc, &executor{c: c, b: b}, cacao.RunOptions{Inputs: inputs})
	if errors.Is(err, workflow.ErrCanceled) || ctx.Err() != nil {
		return err
	}
	if err != nil {
		c.Note(ctx, fmt.Sprintf("CACAO playbook %s ended %s: %v", b.Name, res.Outcome, err))
	} else {
		c.Note(ctx, fmt.Sprintf("CACAO playbook %s ended %s after %d step(s)", b.Name, res.Outcome, len(res.Steps)))
	}
	// A CACAO playbook decides nothing itself: the incident still goes to
	// its tier, who closes it.
	return playbooks.Respond(ctx, c, nil)
}

// incidentValue maps an external variable to the incident's entities.
func incidentValue(name string, v playbooks.View) (string, bool) {
	first := func(xs []string) (string, bool) {
		if len(xs) == 0 {
			return "", false
		}
		return xs[0], true
	}
	switch strings.Trim(name, "_") {
	case "host", "hostname":
		return first(v.Hosts)
	case "user", "username":
		return first(v.Users)
	case "source_ip", "src_ip":
		return first(v.SourceIPs)
	case "destination_ip", "dst_ip":
		return first(v.DestinationIPs)
	case "domain":
		return first(v.Domains)
	case "incident", "incident_id":
		return v.IncidentID, true
	case "priority":
		return string(v.Score.Priority), true
	}
	return "", false
}

// executor does the interpreter's commands through the case.
type executor struct {
	c playbooks.Case
	b *Book
}

// Manual asks the incident's tier to do the command and say done or
// failed; a step that assigns variables takes any text instead.
func (x *executor) Manual(ctx workflow.Context, q cacao.ManualRequest) (cacao.ManualResult, error) {
	text := q.Command
	if q.StepName != "" {
		text = q.StepName + ": " + text
	}
	if q.Description != "" {
		text += " (" + q.Description + ")"
	}
	ask := playbooks.Question{Key: Key(q.Key), Text: text, Options: []string{"done", "failed"}, Default: "failed"}
	if len(q.OutArgs) > 0 {
		ask.Options, ask.Default = nil, ""
	}
	a, err := x.c.Ask(ctx, ask)
	if err != nil {
		return cacao.ManualResult{}, err
	}
	switch {
	case a.TimedOut && len(q.OutArgs) > 0:
		return cacao.ManualResult{}, fmt.Errorf("nobody answered %s in time", q.StepID)
	case a.Value == "failed":
		return cacao.ManualResult{}, fmt.Errorf("%s answered: failed", answerer(a))
	}
	return cacao.ManualResult{Text: a.Value}, nil
}

func answerer(a playbooks.Answer) string {
	if a.TimedOut {
		return "nobody answered in time; the default"
	}
	return a.By
}

// HTTP sends the command to the configured target the step's agent or
// target names.
func (x *executor) HTTP(ctx workflow.Context, r cacao.HTTPRequest) (cacao.HTTPResult, error) {
	target := ""
	for _, ref := range append(append([]string{}, r.Targets...), r.Agent) {
		if t, ok := x.b.Targets[ref]; ok {
			target = t
			break
		}
	}
	if target == "" {
		return cacao.HTTPResult{}, fmt.Errorf("step %s: no configured HTTP target", r.StepID)
	}
	res, err := x.c.Call(ctx, playbooks.HTTPRequest{Key: Key(r.Key), Target: target, Method: r.Method, Path: r.Target, Header: r.Headers, Body: string(r.Body)})
	if res.Status == 0 && err != nil {
		return cacao.HTTPResult{}, err
	}
	// The interpreter fails a step on a status of 400 or more itself.
	return cacao.HTTPResult{Status: res.Status, Body: []byte(res.Body)}, nil
}

// Note adds the interpreter's trace to the timeline.
func (x *executor) Note(ctx workflow.Context, line string) { x.c.Note(ctx, line) }

// Key turns an interpreter key (a step's occurrence) into a question or
// call key the incident accepts: letters, digits, '.', '_', ':', '-', at
// most 100, the same for the same occurrence.
func Key(k string) string {
	out := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r) {
			return r
		}
		return '.'
	}, k)
	if len(out) <= 100 {
		return out
	}
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:8]) + "." + out[len(out)-80:]
}

// Dir holds imported documents: <name>.v<version>.json.
type Dir string

var fileName = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*)\.v([0-9]+)\.json$`)

// Import validates data (Load), and writes it as the named playbook's next
// version unless the latest version is the same document. It returns the
// book as stored.
func (d Dir) Import(data []byte, hasTarget func(string) bool) (*Book, bool, error) {
	b, err := Load(data, hasTarget)
	if err != nil {
		return nil, false, err
	}
	books, err := d.Books(hasTarget)
	if err != nil {
		return nil, false, err
	}
	for _, o := range books {
		if o.Name == b.Name && o.Version >= b.Version {
			b.Version = o.Version + 1
			if bytes.Equal(bytes.TrimSpace(o.Raw), bytes.TrimSpace(data)) {
				return o, false, nil // the same document: nothing new
			}
		}
	}
	if err := os.MkdirAll(string(d), 0o750); err != nil {
		return nil, false, fmt.Errorf("cacao: %w", err)
	}
	path := filepath.Join(string(d), fmt.Sprintf("%s.v%d.json", b.Name, b.Version))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return nil, false, fmt.Errorf("cacao: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, false, fmt.Errorf("cacao: %w", err)
	}
	return b, true, nil
}

// Books loads every imported version, sorted by name and version. A
// document that no longer loads (a target removed from the configuration)
// is an error naming its file: the worker must not start without a
// playbook incidents may be running.
func (d Dir) Books(hasTarget func(string) bool) ([]*Book, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cacao: %w", err)
	}
	var out []*Book
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		path := filepath.Join(string(d), e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cacao: %w", err)
		}
		b, err := Load(data, hasTarget)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		b.Name = m[1]
		b.Version, _ = strconv.Atoi(m[2])
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// Register adds every imported version to the registry and returns them.
func (d Dir) Register(reg *playbooks.Registry, hasTarget func(string) bool) ([]*Book, error) {
	books, err := d.Books(hasTarget)
	if err != nil {
		return nil, err
	}
	for _, b := range books {
		if reg.Has(b.Name) && !d.owns(reg, b.Name, books) {
			return nil, fmt.Errorf("cacao playbook %s: a built-in playbook has that name", b.Name)
		}
		reg.Add(b.Playbook())
	}
	return books, nil
}

// owns reports whether every version of name in reg is one of books (so
// that registering twice is harmless).
func (d Dir) owns(reg *playbooks.Registry, name string, books []*Book) bool {
	for _, v := range reg.Versions(name) {
		mine := false
		for _, b := range books {
			if b.Name == name && b.Version == v {
				mine = true
			}
		}
		if !mine {
			return false
		}
	}
	return true
}

// Export writes a Go playbook's plan as CACAO: a manual step per kind of
// containment it may propose, each approved by the tier before it is
// carried out. A CACAO playbook exports as the document it was imported
// from.
func Export(p playbooks.Playbook, books []*Book) ([]byte, error) {
	for _, b := range books {
		if b.Name == p.Name && b.Version == max(p.Version, 1) {
			return b.Raw, nil
		}
	}
	steps := []cacao.PlanStep{{Name: "Review the incident", Description: "Read the alerts, the context packet and the score's factors socflow shows for the incident."}}
	for _, k := range p.Actions {
		steps = append(steps, cacao.PlanStep{Name: "Approve and carry out " + string(k),
			Description: fmt.Sprintf("Decide whether to %s on the targets the incident names; socflow carries it out, verifies it and records the undo.", strings.ReplaceAll(string(k), "_", " "))})
	}
	if len(p.Actions) == 0 {
		steps = append(steps, cacao.PlanStep{Name: "Decide", Description: "Decide the incident: no containment is proposed by this playbook."})
	}
	return cacao.FromPlan(p.Name, p.Description+" (exported from socflow's "+p.Name+" playbook, version "+strconv.Itoa(max(p.Version, 1))+"; the Go code decides which targets)", steps)
}
