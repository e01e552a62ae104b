package alert

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// OneLine and Truncate are the one pair of helpers for shaping text from
// outside (an alert title, a feed description, a responder's note, a
// vendor's error body) wherever socflow stores or renders it: the console,
// Slack, Jira and the context packet's lines all use them.

// OneLine collapses every run of white space and control characters (line
// breaks, tabs, escapes, Unicode line and paragraph separators) to one
// space and trims both ends, so that text from outside cannot forge lines
// in a notification, nor pad or indent one.
func OneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isBlank), " ")
}

// isOneLine reports whether OneLine would leave s as it is: no control
// character, no white space but single spaces between words.
func isOneLine(s string) bool {
	prevSpace := true // a leading space is not one line
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case isBlank(r):
			return false
		default:
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}

// isBlank is what OneLine collapses: white space (U+2028 and U+2029
// included) and control characters (C1's, which terminals obey, too).
func isBlank(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// ShortDuration prints a duration for a reader: 1h, 15m or 1h30m rather
// than 1h0m0s.
func ShortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// truncationMark ends text that Truncate cut.
const truncationMark = "…"

// Truncate returns s cut to at most n bytes on a UTF-8 boundary, ending in
// "…" when it was cut. Every bound on text in socflow uses it; a vendor's
// limit in characters (Slack's, Jira's) holds for n bytes too.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < len(truncationMark) {
		return cutUTF8(s, n)
	}
	return cutUTF8(s, n-len(truncationMark)) + truncationMark
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 sequence.
func cutUTF8[T string | []byte](s T, n int) T {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// markdownEscaper escapes the characters that make Markdown (CommonMark
// and GitHub's) or HTML out of plain text: HTML's three as entities, the
// others with a backslash. Dots, dashes and parentheses stay: they are
// structure only at the start of a line, and every value is written
// after a table pipe, a list marker or a label.
var markdownEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`,
	"~", `\~`, "!", `\!`, "#", `\#`, "{", `\{`, "}", `\}`,
)

// MarkdownText makes s safe to put in a Markdown document as text (a
// post-incident export, the Temporal UI's workflow details): one line
// (OneLine, so that it cannot start a heading or end a table row) with
// every Markdown and HTML metacharacter escaped.
func MarkdownText(s string) string {
	return markdownEscaper.Replace(OneLine(s))
}
