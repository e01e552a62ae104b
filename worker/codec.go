package worker

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/incidents"
)

// Codec builds the payload codec the configuration's key ring names, or
// nil when payloads go in clear (no codec.keys and no local key).
func Codec(cfg *config.Config) (*codec.Codec, error) {
	if !cfg.Codec.Enabled() {
		return nil, nil
	}
	c, err := codec.New(cfg.Codec.Ring())
	if err != nil {
		return nil, fmt.Errorf("codec.keys: %w", err)
	}
	return c, nil
}

// DataConverter is the data converter every Temporal client of socflow
// uses: the SDK's default, with the configured codec applied when there is
// one. Workers, intake, the CLI and the API must all agree on it, or one
// of them reads ciphertext.
func DataConverter(cfg *config.Config) (converter.DataConverter, error) {
	c, err := Codec(cfg)
	if err != nil {
		return nil, err
	}
	return codec.DataConverter(c), nil
}

// Incidents is the incident service over c, reading memos with the
// configured data converter; cases may be nil (the workflow answers).
func Incidents(cfg *config.Config, c client.Client, cases incidents.CaseReader) (*incidents.Service, error) {
	dc, err := DataConverter(cfg)
	if err != nil {
		return nil, err
	}
	return &incidents.Service{Client: c, Namespace: cfg.Temporal.Namespace, Cases: cases, Converter: dc}, nil
}
