package compose_test

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of the compose specification the checks read.
// Unknown keys are ignored: compose itself validates the rest.
type composeFile struct {
	// Version is only read to report it: the compose specification made
	// the key obsolete and compose warns about it.
	Version  *string            `yaml:"version"`
	Services map[string]service `yaml:"services"`
}

// service is one entry of services:.
type service struct {
	Image       string       `yaml:"image"`
	Build       any          `yaml:"build"`
	Entrypoint  argv         `yaml:"entrypoint"`
	Command     argv         `yaml:"command"`
	Environment envVars      `yaml:"environment"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Volumes     []mount      `yaml:"volumes"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
}

// healthcheck is a service's healthcheck:.
type healthcheck struct {
	Test    argv `yaml:"test"`
	Disable bool `yaml:"disable"`
}

// argv is a command, entrypoint or healthcheck test. Compose accepts a list
// or a string that it splits like a shell; strings.Fields is close enough
// for the checks, which look for words, not for quoting.
type argv []string

func (a *argv) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*a = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*a = l
		return nil
	}
	return fmt.Errorf("line %d: a command must be a string or a list of strings", n.Line)
}

// envVars is environment:, which compose accepts as a map or as a list of
// KEY=VALUE. A key listed without a value (KEY, or KEY: with null) takes its
// value from the host, and is recorded here as set to "".
type envVars map[string]string

func (e *envVars) UnmarshalYAML(n *yaml.Node) error {
	out := envVars{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			if v == nil {
				out[k] = ""
			} else {
				out[k] = fmt.Sprint(v)
			}
		}
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a map or a list of KEY=VALUE", n.Line)
	}
	*e = out
	return nil
}

// dependsOn maps each dependency to its condition. The short form (a list
// of names) means service_started.
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, name := range l {
			out[name] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for name, dep := range m {
			out[name] = dep.Condition
			if dep.Condition == "" {
				out[name] = "service_started"
			}
		}
	default:
		return fmt.Errorf("line %d: depends_on must be a list or a map", n.Line)
	}
	*d = out
	return nil
}

// mount is one entry of a service's volumes:, short ("src:dst[:mode]") or
// long form. Source is "" for an anonymous volume.
type mount struct {
	Source string
	Target string
}

func (m *mount) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		parts := strings.Split(n.Value, ":")
		if len(parts) == 1 {
			*m = mount{Target: parts[0]}
		} else {
			*m = mount{Source: parts[0], Target: parts[1]}
		}
		return nil
	case yaml.MappingNode:
		var long struct {
			Source string `yaml:"source"`
			Target string `yaml:"target"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		*m = mount{Source: long.Source, Target: long.Target}
		return nil
	}
	return fmt.Errorf("line %d: a volume must be a string or a map", n.Line)
}

// isHostPath reports whether a mount source is a path on the host (a bind
// mount) rather than the name of a volume.
func isHostPath(source string) bool {
	return strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") || strings.HasPrefix(source, "/")
}

func parseCompose(data string) (composeFile, error) {
	var c composeFile
	if err := yaml.Unmarshal([]byte(data), &c); err != nil {
		return composeFile{}, err
	}
	return c, nil
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
}

// stage is one FROM and the instructions under it.
type stage struct {
	From         instruction
	Image        string
	Name         string
	Instructions []instruction
}

// parseDockerfile splits a Dockerfile into stages. It knows what these
// checks need: comments, line continuations, FROM [--platform] image [AS name].
func parseDockerfile(src string) []stage {
	var (
		stages []stage
		buf    strings.Builder
		start  int
	)
	flush := func() {
		text := strings.TrimSpace(buf.String())
		buf.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			st := stage{From: in}
			var words []string
			for _, w := range strings.Fields(in.Args) {
				if !strings.HasPrefix(w, "--") {
					words = append(words, w)
				}
			}
			if len(words) > 0 {
				st.Image = words[0]
			}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				st.Name = words[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			last := &stages[len(stages)-1]
			last.Instructions = append(last.Instructions, in)
		}
	}
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		// Docker drops comment lines, also in the middle of a continued
		// instruction.
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if buf.Len() == 0 {
			if trimmed == "" {
				continue
			}
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			buf.WriteString(cont + " ")
			continue
		}
		buf.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

// copyArgs splits a COPY instruction into its flags, sources and
// destination (shell form only, which is all the Dockerfile uses).
func copyArgs(in instruction) (flags map[string]string, sources []string, dest string) {
	flags = map[string]string{}
	var words []string
	for _, w := range strings.Fields(in.Args) {
		if f, ok := strings.CutPrefix(w, "--"); ok {
			k, v, _ := strings.Cut(f, "=")
			flags[k] = v
			continue
		}
		words = append(words, w)
	}
	if len(words) < 2 {
		return flags, nil, ""
	}
	return flags, words[:len(words)-1], words[len(words)-1]
}

// imageTag returns an image reference's tag, ignoring any digest.
func imageTag(ref string) (string, bool) {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon <= slash {
		return "", false
	}
	return ref[colon+1:], true
}
