package cacao

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealPlaybooks runs every OASIS and SOARCA file through Validate and
// Supported. Each file is listed with what is expected of it, so that a
// file added to shared/ without an expectation fails the test.
func TestRealPlaybooks(t *testing.T) {
	rd := realData(t)
	type want struct {
		valid bool
		// invalid: each string must appear in the error.
		reasons []string
		// warnings must each appear among a valid file's warnings.
		warnings []string
		// unsupported: "step-id type" pairs Supported must name, in order;
		// for an invalid file Supported runs on the Parse result.
		unsupported []string
	}
	cases := map[string]want{
		"oasis-tcs_examples/basic-example-1.json": {valid: true,
			unsupported: []string{`action--6398eb05-3eb8-43f5-87d3-f24e07492a41 "ssh"`}},
		"oasis-tcs_examples/spec-3.1-example.json": {valid: true},
		// Not a playbook: a STIX identity, the created_by of the others.
		"oasis-tcs_examples/identity-object.json": {reasons: []string{
			`/type: is "identity", but must be "playbook"`,
			`/spec_version: is "2.1", but must be "cacao-2.0"`}},
		// A drawing for the layout extension: its actions have no commands
		// and its switch no variable, which the schema requires.
		"oasis-tcs_examples/layout-extension-playbook--aa1898b6-5251-49b4-aeb7-fd5e912583ff.json": {reasons: []string{
			`/workflow/switch-condition--72c55a11-5091-4714-8050-baa854d72eda: missing required property "switch"`,
			`/workflow/action--4005472a-0b74-48c6-b04b-45bb8cf2b1ae: missing required properties "commands", "agent"`}},
		// An attack description: one step targets a security category that
		// target_definitions does not define.
		"oasis-tcs_examples/locky-bart-mbc-examples.json": {
			reasons: []string{`/workflow/action--191bce6e-2fea-4a7e-b4a5-c0d96f129a8d/targets/0: target security-category--acc1cff5-af87-4caa-8529-84b08c187653 is not in target_definitions`},
			unsupported: []string{
				`action--191bce6e-2fea-4a7e-b4a5-c0d96f129a8d "subroutine"`,
				`action--3f0dc5a7-ffd8-57e1-8b0b-2181638f5c95 "subroutine"`,
				`action--3fdb51db-2548-4beb-ab7d-f52b3ab1e5ed "ftp"`,
				`action--7953f6e2-5f09-4fe3-8ffd-476ec5dabe3c "bash"`,
				`action--a7fca25a-2ee2-59c0-8df6-9f6ade83e286 "subroutine"`,
				`action--cdc2f237-8823-413b-8beb-84a612be0ae8 "bash"`,
				`action--d31e28d1-3584-4f59-a139-6764c6509c6e "subroutine"`,
				`action--e742fc09-743d-4174-9edb-1b4bcccd03bb "subroutine"`,
				`action--edd41723-869d-5a07-9971-55876c706533 "subroutine"`,
			}},
		"soarca_examples/http-playbook.json":   {valid: true},
		"soarca_examples/manual-playbook.json": {valid: true},
		"soarca_examples/openc2-playbook.json": {valid: true,
			unsupported: []string{`action--eb9372d4-d524-49fc-bf24-be26ea084779 "openc2"`}},
		"soarca_examples/powershell-playbook.json": {valid: true,
			unsupported: []string{`action--010b0420-db3e-4810-ba75-08a10f473214 "powershell"`}},
		"soarca_examples/ssh-playbook.json": {valid: true,
			unsupported: []string{
				`action--88f4c4df-fa96-44e6-b310-1c06d193ea55 "ssh"`,
				`action--eb9372d4-d524-49fc-bf24-be26ea084779 "ssh"`}},
		// Its agent ID has one dash between type and UUID.
		"soarca_examples/fin-playbook.json": {
			reasons:     []string{`/workflow/action--2fd6bca0-24ed-4d74-8eae-da126a84f7c4/agent: "soarca-fin-pong-f896bb3b-bb37-429e-8ece-2d4286cf326d" is not a CACAO identifier`},
			unsupported: []string{`action--2fd6bca0-24ed-4d74-8eae-da126a84f7c4 "pong"`}},

		// SOARCA's validator fixtures. SOARCA's own test expects each
		// failure named here (validators_test.go at 06b0473); its valid
		// fixtures start at an action or parallel step and name a
		// workflow_exception that is not in the workflow, which CACAO
		// section 3.1 does not allow but SOARCA runs: they import, with
		// the departures as warnings.
		"soarca_test_playbooks/playbook.json": {valid: true, warnings: []string{
			"/workflow_start: names step action--a76dbc32-b739-427b-ae13-4ec703d5797e, an action step; the specification wants a start step",
			"/workflow_exception: step end--40131926-89e9-44df-a018-5f92f2df7914 does not exist in the workflow"}},
		"soarca_test_playbooks/parallels_playbook.json": {valid: true, warnings: []string{
			"/workflow_start: names step parallel--a76dbc32-b739-427b-ae13-4ec703d5797e, a parallel step; the specification wants a start step",
			"/workflow/parallel--a76dbc32-b739-427b-ae13-4ec703d5797e: a parallel step should name the step after its branches"}},
		// SOARCA: "value must be 'http-api'" (schema).
		"soarca_test_playbooks/invalid_playbook.json": {reasons: []string{
			`/agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type: is "invalid", but must be "http-api"`}},
		// SOARCA: "invalid email".
		"soarca_test_playbooks/invalid_email_playbook.json": {reasons: []string{
			"/agent_definitions/individual--6b23a237-ade8-4d00-9aa1-75999732d557/contact/email/work: \"banana@business.com;`shh hack`\" is not a valid email address"}},
		// SOARCA: "step end--6b23c237-ade8-4d00-9aa1-75999738d558 does not exist".
		"soarca_test_playbooks/missing_step_playbook.json": {reasons: []string{
			"/workflow/action--2190f685-1857-44ac-ad0e-0ded6c6ef3ce/on_completion: step end--6b23c237-ade8-4d00-9aa1-75999738d558 does not exist in the workflow"}},
		// SOARCA: "worflow seems to loop on branch sequence".
		"soarca_test_playbooks/infinite_playbook.json": {reasons: []string{
			"no end step can be reached from step action--a76dbc32-b739-427b-ae13-4ec703d5797e: the workflow loops action--6b23c237-ade8-4d00-9aa1-75999738d557 → action--6b23c237-ade8-4d00-9aa1-75999738d557"}},
		// CACAO v1's list of steps, not v2's map; SOARCA's tests do not use it.
		"soarca_test_playbooks/changed-playbook.json": {reasons: []string{
			"/workflow: is an array, but must be an object"}},
	}

	files, err := filepath.Glob(filepath.Join(rd, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		rel, _ := filepath.Rel(rd, f)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "cacao-v2-json-schemas") {
			continue
		}
		seen++
		w, ok := cases[rel]
		if !ok {
			t.Errorf("%s: no expectation; add it to the table", rel)
			continue
		}
		t.Run(rel, func(t *testing.T) {
			data := readFile(t, f)
			p, err := Validate(data)
			if w.valid {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				var ws []string
				for _, pr := range p.Warnings {
					ws = append(ws, pr.String())
				}
				for _, want := range w.warnings {
					if !strings.Contains(strings.Join(ws, "\n"), want) {
						t.Errorf("warnings lack %q:\n%s", want, strings.Join(ws, "\n"))
					}
				}
			} else {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Validate = %v, want a *ValidationError", err)
				}
				for _, r := range w.reasons {
					if !strings.Contains(err.Error(), r) {
						t.Errorf("error lacks %q:\n%v", r, err)
					}
				}
				if p, err = Parse(data); err != nil {
					return // not even decodable: nothing for Supported
				}
			}
			checkSupported(t, p, w.unsupported)
		})
	}
	if seen != len(cases) {
		t.Errorf("found %d files, the table has %d: a file is missing from shared/", seen, len(cases))
	}
}

func checkSupported(t *testing.T, p *Playbook, want []string) {
	t.Helper()
	err := Supported(p)
	if len(want) == 0 {
		if err != nil {
			t.Errorf("Supported: %v", err)
		}
		return
	}
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("Supported = %v, want an *UnsupportedError", err)
	}
	var got []string
	for _, c := range ue.Commands {
		got = append(got, c.StepID+" "+`"`+c.Type+`"`)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Supported named\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first := ue.Commands[0]
	line := "step " + first.StepID + `: command type "` + first.Type + `" is not supported (socflow runs manual and http-api)`
	if !strings.Contains(err.Error(), line) {
		t.Errorf("error lacks %q:\n%v", line, err)
	}
}

// TestSoarcaValidFixturesPassSchema shows that SOARCA's valid fixtures are
// refused only by the rules after the schema.
func TestSoarcaValidFixturesPassSchema(t *testing.T) {
	rd := realData(t)
	s, err := NewSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"playbook.json", "parallels_playbook.json", "infinite_playbook.json", "missing_step_playbook.json", "invalid_email_playbook.json"} {
		var doc any
		if err := json.Unmarshal(readFile(t, filepath.Join(rd, "soarca_test_playbooks", name)), &doc); err != nil {
			t.Fatal(err)
		}
		if probs := s.check(doc); len(probs) != 0 {
			t.Errorf("%s: schema problems %v", name, probs)
		}
	}
}

func TestOwnFixturesValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d fixtures, want 8", len(files))
	}
	for _, f := range files {
		p := fixture(t, filepath.Base(f))
		if err := Supported(p); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSemanticChecks breaks a valid playbook one rule at a time and checks
// that Validate names the place and the rule.
func TestSemanticChecks(t *testing.T) {
	base := readFile(t, filepath.Join("testdata", "parallel_switch_manual.json"))
	p := fixture(t, "parallel_switch_manual.json")
	ask := stepByName(t, p, "Ask for severity")
	sw := stepByName(t, p, "By severity")
	par := stepByName(t, p, "Triage in parallel")
	isolate := stepByName(t, p, "Isolate host")
	ghost := "end--00000000-0000-4000-8000-000000000000"

	cases := []struct {
		name   string
		mutate func(doc map[string]any)
		path   string
		reason string
	}{
		{"start missing", func(d map[string]any) { d["workflow_start"] = ghost },
			"/workflow_start", "step " + ghost + " does not exist in the workflow"},
		{"start not a start step (a warning)", func(d map[string]any) { d["workflow_start"] = ask },
			"/workflow_start", "the specification wants a start step"},
		{"exception missing (a warning)", func(d map[string]any) { d["workflow_exception"] = ghost },
			"/workflow_exception", "step " + ghost + " does not exist in the workflow; a failure ends the run instead"},
		{"on_completion missing", func(d map[string]any) { step(d, ask)["on_completion"] = ghost },
			"/workflow/" + ask + "/on_completion", "step " + ghost + " does not exist"},
		{"next_steps missing", func(d map[string]any) { step(d, par)["next_steps"] = []any{ask, ghost} },
			"/workflow/" + par + "/next_steps/1", "step " + ghost + " does not exist"},
		{"case missing", func(d map[string]any) { step(d, sw)["cases"].(map[string]any)["low"] = ghost },
			"/workflow/" + sw + "/cases/low", "step " + ghost + " does not exist"},
		{"on_completion with on_failure", func(d map[string]any) { step(d, ask)["on_failure"] = isolate },
			"/workflow/" + ask, "on_completion must not be used together with on_success or on_failure"},
		{"no next step", func(d map[string]any) { delete(step(d, isolate), "on_completion") },
			"/workflow/" + isolate, "An action step must name its next step"},
		{"negative timeout", func(d map[string]any) { step(d, ask)["timeout"] = -5 },
			"/workflow/" + ask + "/timeout", "is -5 ms; a timeout must not be negative"},
		{"zero delay (schema)", func(d map[string]any) { step(d, ask)["delay"] = 0 },
			"/workflow/" + ask + "/delay", "is 0, but must be at least 1"},
		{"bad variable name", func(d map[string]any) {
			d["playbook_variables"].(map[string]any)["severity"] = map[string]any{"type": "string"}
		}, "/playbook_variables/severity", `"severity" is not a variable name`},
		{"out_arg undeclared", func(d map[string]any) { step(d, ask)["out_args"] = []any{"__sevrity__"} },
			"/workflow/" + ask + "/out_args/0", "variable __sevrity__ is declared in neither"},
		{"out_arg constant", func(d map[string]any) {
			d["playbook_variables"].(map[string]any)["__severity__"] = map[string]any{"type": "string", "value": "low", "constant": true}
		}, "/workflow/" + ask + "/out_args/0", "variable __severity__ is a constant"},
		{"command uses undeclared variable", func(d map[string]any) {
			step(d, isolate)["commands"] = []any{map[string]any{"type": "manual", "command": "Isolate __hots__:value"}}
		}, "/workflow/" + isolate + "/commands/0", "uses variable __hots__"},
		{"manual without text", func(d map[string]any) {
			step(d, isolate)["commands"] = []any{map[string]any{"type": "manual"}}
		}, "/workflow/" + isolate + "/commands/0", "a manual command needs command or command_b64"},
		{"http-api without command (schema)", func(d map[string]any) {
			step(d, isolate)["commands"] = []any{map[string]any{"type": "http-api"}}
		}, "/workflow/" + isolate + "/commands/0", `missing required property "command"`},
		{"http-api bad start line", func(d map[string]any) {
			step(d, isolate)["commands"] = []any{map[string]any{"type": "http-api", "command": "get /x"}}
		}, "/workflow/" + isolate + "/commands/0/command", `method "get" must be upper-case letters`},
		{"switch not a variable", func(d map[string]any) { step(d, sw)["switch"] = "severity" },
			"/workflow/" + sw + "/switch", `"severity" is not a variable reference`},
		{"agent undefined", func(d map[string]any) { step(d, ask)["agent"] = "group--00000000-0000-4000-8000-000000000001" },
			"/workflow/" + ask + "/agent", "agent group--00000000-0000-4000-8000-000000000001 is not in agent_definitions"},
		{"step ID of another type", func(d map[string]any) {
			// The schema checks only keys of a known type; this one is not.
			wf := d["workflow"].(map[string]any)
			wf["step--11111111-1111-4111-8111-111111111111"] = wf[isolate]
		}, "/workflow/step--11111111-1111-4111-8111-111111111111", `the step's type is "action", so its ID must start with "action--"`},
		{"trap loop", func(d map[string]any) { step(d, isolate)["on_completion"] = isolate },
			"/workflow", "no end step can be reached from step " + isolate + ": the workflow loops " + isolate + " → " + isolate},
		{"bad email", func(d map[string]any) {
			for _, a := range d["agent_definitions"].(map[string]any) {
				a.(map[string]any)["contact"] = map[string]any{"email": map[string]any{"work": "soc@example.net, boss@example.net"}}
			}
		}, "/contact/email/work", `"soc@example.net, boss@example.net" is not a valid email address`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(base, &doc); err != nil {
				t.Fatal(err)
			}
			c.mutate(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Validate(data)
			problems := []Problem(nil)
			var ve *ValidationError
			switch {
			case strings.HasSuffix(c.name, "(a warning)"):
				// What SOARCA accepts imports, with a warning.
				if err != nil {
					t.Fatalf("Validate = %v, want a warning only", err)
				}
				problems = got.Warnings
			case !errors.As(err, &ve):
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			default:
				problems = ve.Problems
			}
			for _, pr := range problems {
				if strings.Contains(pr.Path, c.path) && strings.Contains(pr.Reason, c.reason) {
					return
				}
			}
			t.Errorf("no problem at %s saying %q:\n%v", c.path, c.reason, err)
		})
	}
}

func TestConditionRefusedAtValidation(t *testing.T) {
	base := readFile(t, filepath.Join("testdata", "if_condition.json"))
	p := fixture(t, "if_condition.json")
	cond := stepByName(t, p, "High and internal?")
	for _, c := range []struct{ condition, reason string }{
		{"__score__ >= 70", "write __score__:value to use the variable's value"},
		{"[__score__:value >= 70] FOLLOWEDBY [__ip__:value = '10.0.0.1']", "FOLLOWEDBY is STIX patterning that socflow does not support"},
		{"__score__:value >=", "expected a variable (__name__:value) or a value, got end of condition"},
		{"__nosuch__:value = 1", "uses variable __nosuch__, which is declared in neither"},
		{"__ip__:value MATCHES '('", "MATCHES needs a regular expression"},
	} {
		var doc map[string]any
		if err := json.Unmarshal(base, &doc); err != nil {
			t.Fatal(err)
		}
		step(doc, cond)["condition"] = c.condition
		data, _ := json.Marshal(doc)
		_, err := Validate(data)
		if err == nil || !strings.Contains(err.Error(), "/workflow/"+cond+"/condition") || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("condition %q: Validate = %v, want the step's condition and %q", c.condition, err, c.reason)
		}
	}
}

func TestValidateNotJSON(t *testing.T) {
	_, err := Validate([]byte("{"))
	if err == nil || !strings.Contains(err.Error(), "is not JSON") {
		t.Errorf("Validate = %v", err)
	}
}

func TestSchemaReadsEmbeddedFilesOnly(t *testing.T) {
	// The NOTICE must travel with the schemas.
	b, err := schemaFiles.ReadFile("schemas/NOTICE")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"COSSAS/SOARCA", "06b04737246dd8ba47bb4d2f628c5b9fd548c335", "pkg/models/validator/schemas/", "Apache License, Version 2.0"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("NOTICE lacks %q", s)
		}
	}
	if _, err := os.Stat("schemas/playbook.json"); err != nil {
		t.Fatal(err)
	}
}

func step(doc map[string]any, id string) map[string]any {
	return doc["workflow"].(map[string]any)[id].(map[string]any)
}
