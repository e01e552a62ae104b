package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// IOStreams are where a command reads and prints, and in which format.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// JSON is -o json.
	JSON bool
	// Markdown is -o md, which only commands marked withMarkdown accept.
	Markdown bool
}

// The -o formats. md is for pasting into a ticket or a review document,
// so only the commands whose output is a document take it.
const (
	outputText     = "text"
	outputJSON     = "json"
	outputMarkdown = "md"
)

// markdownAnnotation marks a command that prints -o md.
const markdownAnnotation = "socflow/output-md"

// withMarkdown marks cmd as accepting -o md.
func withMarkdown(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[markdownAnnotation] = "true"
	return cmd
}

// checkOutput refuses an -o the command cannot print, naming the command
// when it is md that it lacks.
func checkOutput(cmd *cobra.Command, output string) error {
	switch output {
	case outputText, outputJSON:
		return nil
	case outputMarkdown:
		if cmd.Annotations[markdownAnnotation] == "" {
			return usageErrorf("-o md: %q prints text or json, not md", cmd.CommandPath())
		}
		return nil
	}
	return usageErrorf("-o must be text, json or md, got %q", output)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

func heading(w io.Writer, s string) {
	fmt.Fprintf(w, "\n%s\n", s)
}
