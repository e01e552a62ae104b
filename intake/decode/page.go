package decode

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/socflow/socflow/alert"
)

// oneFunc decodes one alert object of a format. It returns a non-empty skip
// reason instead of an alert for a record that is not an alert.
type oneFunc func(doc map[string]any, raw []byte) (a alert.Alert, skip string, err error)

// single decodes an entry holding one alert.
func single(fn oneFunc, doc map[string]any, raw []byte) (Result, error) {
	a, skip, err := fn(doc, raw)
	if err != nil {
		return Result{}, err
	}
	if skip != "" {
		return Result{Skipped: 1, SkipReason: skip}, nil
	}
	return Result{Alerts: []alert.Alert{a}}, nil
}

// page decodes every element of a page (Graph's value, Elasticsearch's
// hits.hits): usable alerts are kept, and each unusable element is reported
// with its position ("value[2].title: missing"), so that one bad element
// does not lose the page.
func page(format, field string, items []json.RawMessage, fn oneFunc) (Result, error) {
	var res Result
	var errs []error
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", field, i)
		doc, err := parseObject(format, item)
		if err != nil {
			errs = append(errs, prefixField(err, at))
			continue
		}
		a, skip, err := fn(doc, item)
		switch {
		case err != nil:
			errs = append(errs, prefixField(err, at))
		case skip != "":
			res.Skipped++
			res.SkipReason = skip
		default:
			res.Alerts = append(res.Alerts, a)
		}
	}
	return res, errors.Join(errs...)
}

// prefixField puts the element's position in front of the field an error
// names.
func prefixField(err error, at string) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		f := *fe
		if f.Field == "" {
			f.Field = at
		} else {
			f.Field = at + "." + f.Field
		}
		return &f
	}
	var ie *invalidError
	if errors.As(err, &ie) {
		return &invalidError{format: ie.format, err: fmt.Errorf("%s: %w", at, ie.err)}
	}
	return fmt.Errorf("%s: %w", at, err)
}
