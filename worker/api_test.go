package worker_test

import (
	"reflect"
	"testing"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/worker"
)

func TestAllowedHosts(t *testing.T) {
	tests := []struct {
		addr  string
		extra []string
		want  []string
	}{
		{"127.0.0.1:8080", nil, nil},
		{"127.0.0.1:8080", []string{"socflow.example.com"}, []string{"socflow.example.com"}},
		{"10.1.2.3:8080", nil, []string{"10.1.2.3"}},
		{"soc-api.internal:8080", []string{"soc.example.com"}, []string{"soc.example.com", "soc-api.internal"}},
		{"0.0.0.0:8080", nil, []string{"*"}},
		{":8080", nil, []string{"*"}},
		{"[::]:8080", []string{"soc.example.com"}, []string{"soc.example.com"}},
	}
	for _, tt := range tests {
		got := worker.AllowedHosts(config.Server{Addr: tt.addr, AllowedHosts: tt.extra})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s with %v: %v, want %v", tt.addr, tt.extra, got, tt.want)
		}
	}
}
