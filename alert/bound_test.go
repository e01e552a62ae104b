package alert_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

func boundable() *alert.Alert {
	return &alert.Alert{
		ID: "a1", Source: "edr", Rule: strings.Repeat("r", 1000), Title: "t", Description: strings.Repeat("d", 10000),
		Labels: map[string]string{"note": strings.Repeat("v", 5000), strings.Repeat("k", 200): "x"},
		Entities: alert.Entities{
			Hosts:     []alert.Host{{Name: "dc01", IP: []string{"10.0.0.1"}}},
			Processes: []alert.Process{{Name: "cmd.exe", CommandLine: strings.Repeat("c", 10000)}},
			URLs:      make([]string, 300),
		},
	}
}

func TestBound(t *testing.T) {
	a := boundable()
	if err := a.Bound(); err != nil {
		t.Fatal(err)
	}
	want := "rule,description,entities.processes.command_line,entities.urls,labels"
	if got := a.Labels[alert.LabelTruncated]; got != want {
		t.Errorf("label %s = %q, want %q (in field order)", alert.LabelTruncated, got, want)
	}
	if _, ok := a.Labels[strings.Repeat("k", 200)]; ok {
		t.Error("a label key over MaxLabelKeyBytes was kept")
	}
	before := *a
	before.Labels = map[string]string{}
	for k, v := range a.Labels {
		before.Labels[k] = v
	}
	if err := a.Bound(); err != nil || !reflect.DeepEqual(*a, before) {
		t.Errorf("a second Bound changed the alert (%v): Bound must be idempotent", err)
	}
}

func TestBoundKeepsASendersTruncatedLabel(t *testing.T) {
	a := boundable()
	a.Labels[alert.LabelTruncated] = "title"
	if err := a.Bound(); err != nil {
		t.Fatal(err)
	}
	if got := a.Labels[alert.LabelTruncated]; !strings.HasPrefix(got, "title,rule,") {
		t.Errorf("label %s = %q, want the sender's fields first, then the new ones", alert.LabelTruncated, got)
	}
}

func TestBoundRefusesLongNames(t *testing.T) {
	a := boundable()
	a.Entities.Users = []alert.User{{Name: "alice", Email: strings.Repeat("e", 300) + "@corp.example"}}
	a.Entities.Hosts[0].IP = []string{"fe80::1%" + strings.Repeat("z", 300)}
	err := a.Bound()
	var fe *alert.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Bound = %v, want *FieldErrors", err)
	}
	for _, field := range []string{"entities.users[0].email:", "entities.hosts[0].ip[0]:"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestLargestField(t *testing.T) {
	a := boundable()
	a.Description = strings.Repeat("d", 20000)
	if field, size := a.LargestField(); field != "description" || size != 20002 {
		t.Errorf("LargestField = %s, %d; want description, 20002", field, size)
	}
	a.Entities.URLs = []string{strings.Repeat("<", 4000)}
	if field, size := a.LargestField(); field != "entities.urls" || size != 6*4000+4 {
		t.Errorf("LargestField = %s, %d; want entities.urls measured escaped, %d", field, size, 6*4000+4)
	}
}
