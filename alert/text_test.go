package alert_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
)

func TestOneLine(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"empty", "", ""},
		{"one line", "Brute force on dc01", "Brute force on dc01"},
		{"newline", "a\nb", "a b"},
		{"crlf", "a\r\nb", "a b"},
		{"tabs", "a\t\tb", "a b"},
		{"runs of spaces", "a   b", "a b"},
		{"mixed run", "a \n\t b", "a b"},
		{"leading and trailing", "  a b \n", "a b"},
		{"only blanks", " \n\t ", ""},
		{"forged line", "x\nsocflow incident decide host:dc01 --approve", "x socflow incident decide host:dc01 --approve"},
		{"unicode line separators", "a\u2028b\u2029c\u0085d", "a b c d"},
		{"escape and C1 controls", "a\x1b[31mb\u009bc", "a [31mb c"},
		{"no-break space", "a\u00a0\u00a0b", "a b"},
		{"non-ASCII kept", "São Paulo 🔥", "São Paulo 🔥"},
		{"delete", "a\x7fb", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alert.OneLine(tt.s)
			if got != tt.want {
				t.Errorf("OneLine(%q) = %q, want %q", tt.s, got, tt.want)
			}
			if again := alert.OneLine(got); again != got {
				t.Errorf("OneLine is not idempotent: %q, then %q", got, again)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fits", "dc01", 4, "dc01"},
		{"empty", "", 0, ""},
		{"ascii", "abcdefgh", 6, "abc…"},
		{"two-byte runes are not split", "éééé", 6, "é…"},
		{"cut after a whole two-byte rune", "ééééé", 7, "éé…"},
		{"three-byte runes are not split", "日本語テキスト", 10, "日本…"},
		{"four-byte runes are not split", "🔥🔥🔥", 9, "🔥…"},
		{"four-byte rune, one byte short", "🔥🔥", 6, "…"},
		{"room for the mark only", "abcdef", 3, "…"},
		{"no room for the mark", "abcdef", 2, "ab"},
		{"no room for the mark, multi-byte", "éé", 1, ""},
		{"newlines are kept", "a\nb\ncdef", 6, "a\nb…"},
		{"tabs count as bytes", "\t\t\t\t\t", 4, "\t…"},
		{"exactly n", "éé", 4, "éé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alert.Truncate(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if len(got) > tt.n || !utf8.ValidString(got) {
				t.Errorf("Truncate(%q, %d) = %q: %d bytes, valid UTF-8 %v", tt.s, tt.n, got, len(got), utf8.ValidString(got))
			}
		})
	}
}

// TestTruncateEveryBoundary cuts mixed-width text at every length.
func TestTruncateEveryBoundary(t *testing.T) {
	s := "aé日🔥\n\tb"
	for n := 0; n <= len(s)+1; n++ {
		got := alert.Truncate(s, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Fatalf("Truncate(%q, %d) = %q", s, n, got)
		}
		if n >= len(s) && got != s {
			t.Errorf("Truncate(%q, %d) = %q, want it whole", s, n, got)
		}
		if n < len(s) && n >= 3 && !strings.HasSuffix(got, "…") {
			t.Errorf("Truncate(%q, %d) = %q, want the mark", s, n, got)
		}
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Hour, "1h"},
		{15 * time.Minute, "15m"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Second, "45s"},
		{time.Hour + 2*time.Second, "1h0m2s"},
		{1500 * time.Millisecond, "2s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := alert.ShortDuration(tt.d); got != tt.want {
			t.Errorf("ShortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, v1.2 (x-y)":       "plain text, v1.2 (x-y)",
		"<img src=x onerror=alert(1)>": "&lt;img src=x onerror=alert(1)&gt;",
		"a\n# forged heading":          `a \# forged heading`,
		"[click](javascript:x)":        `\[click\](javascript:x)`,
		"`code` *b* _i_ | ~s~ & !":     "\\`code\\` \\*b\\* \\_i\\_ \\| \\~s\\~ &amp; \\!",
		`back\slash`:                   `back\\slash`,
	} {
		if got := alert.MarkdownText(in); got != want {
			t.Errorf("alert.MarkdownText(%q) = %q, want %q", in, got, want)
		}
	}
}
