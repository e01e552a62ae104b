package intel

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Reasons a loader leaves something out, as Report.Skipped counts them.
const (
	// SkipRevoked is a STIX indicator with revoked: true.
	SkipRevoked = "revoked"
	// SkipExpired is an indicator whose valid_until has passed.
	SkipExpired = "expired"
	// SkipValidity is a valid_from or valid_until that is not a
	// timestamp, or a window that ends before it starts.
	SkipValidity = "invalid validity"
	// SkipConfidence is a confidence outside 0-100.
	SkipConfidence = "invalid confidence"
	// SkipPatternType is an indicator in another pattern language
	// (Sigma, YARA, Snort...).
	SkipPatternType = "pattern type not stix"
	// SkipPatternSyntax is a STIX pattern that does not parse.
	SkipPatternSyntax = "pattern syntax"
	// SkipAND is a part of a pattern that needs several values at once
	// (AND), which a single indicator lookup cannot satisfy.
	SkipAND = "AND"
	// SkipFollowedBy is a part of a pattern that needs a sequence of
	// observations.
	SkipFollowedBy = "FOLLOWEDBY"
	// SkipQualifier is an observation with WITHIN, REPEATS or
	// START/STOP, which one sighting cannot satisfy.
	SkipQualifier = "qualifier"
	// SkipOperator is a comparison other than =, IN or ISSUBSET (!=,
	// LIKE, MATCHES, <, NOT, EXISTS...).
	SkipOperator = "operator"
	// SkipObjectPath is a comparison on a property the index does not
	// hold (file:name, email-message:subject...).
	SkipObjectPath = "object path"
	// SkipInvalidValue is a value that is not a valid indicator of its
	// type.
	SkipInvalidValue = "invalid value"
	// SkipMalformed is a STIX object that does not decode.
	SkipMalformed = "malformed object"
	// SkipNotToIDs is a MISP attribute without to_ids: context, not an
	// indicator.
	SkipNotToIDs = "not to_ids"
	// SkipDeleted is a MISP attribute marked deleted.
	SkipDeleted = "deleted"
	// SkipAttributeType is a MISP attribute of a type the index does not
	// hold (filename, regkey, email-src...).
	SkipAttributeType = "attribute type"
	// SkipMissingEvent is an event a MISP manifest lists without its file.
	SkipMissingEvent = "event file missing"
	// SkipUnlistedEvent is an event file a MISP manifest does not list.
	SkipUnlistedEvent = "event not in manifest"
	// SkipUnsupportedFile is a file in a folder that is not .csv, .txt or
	// .json.
	SkipUnsupportedFile = "unsupported file"
)

// maxNotes bounds Report.Notes, like maxErrors bounds a file's errors.
const maxNotes = 20

// Report says what one source contributed to an index.
type Report struct {
	// Source names the file, folder or collection.
	Source string
	// Loaded counts the values added: a CSV row, one value of a STIX
	// pattern, one MISP attribute (two for domain|ip).
	Loaded int
	// Skipped counts what was left out, by reason (the Skip constants):
	// STIX indicators, or single comparisons of an OR whose other parts
	// were loaded; MISP attributes; files of a folder.
	Skipped map[string]int
	// Notes explain the first skips, naming the file:line or object.
	Notes []string
}

// SkippedTotal returns the number of things skipped for any reason.
func (r Report) SkippedTotal() int {
	n := 0
	for _, c := range r.Skipped {
		n += c
	}
	return n
}

// String summarises the report on one line, such as
// "apt1.json: 40 loaded, 3 skipped (AND 2, invalid value 1)".
func (r Report) String() string {
	s := fmt.Sprintf("%s: %d loaded", r.Source, r.Loaded)
	if len(r.Skipped) == 0 {
		return s
	}
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(r.Skipped)) {
		parts = append(parts, fmt.Sprintf("%s %d", reason, r.Skipped[reason]))
	}
	return fmt.Sprintf("%s, %d skipped (%s)", s, r.SkippedTotal(), strings.Join(parts, ", "))
}

// skip counts one thing left out and keeps the note while there is room.
func (r *Report) skip(reason, note string) {
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	r.Skipped[reason]++
	if len(r.Notes) < maxNotes && note != "" {
		r.Notes = append(r.Notes, note)
	}
}

// merge adds o's counts and notes to r.
func (r *Report) merge(o Report) {
	r.Loaded += o.Loaded
	for reason, n := range o.Skipped {
		if r.Skipped == nil {
			r.Skipped = map[string]int{}
		}
		r.Skipped[reason] += n
	}
	for _, n := range o.Notes {
		if len(r.Notes) < maxNotes {
			r.Notes = append(r.Notes, n)
		}
	}
}
