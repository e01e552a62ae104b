package defendertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The wire types below spell out Defender's documented entities in full,
// independently of package defender's own (partial) types, so that a
// misspelt JSON name on either side shows up in tests.

// machineJSON is Defender's machine entity.
type machineJSON struct {
	Context               string   `json:"@odata.context,omitempty"`
	ID                    string   `json:"id"`
	ComputerDNSName       string   `json:"computerDnsName"`
	FirstSeen             string   `json:"firstSeen"`
	LastSeen              string   `json:"lastSeen"`
	OSPlatform            string   `json:"osPlatform"`
	OSVersion             *string  `json:"osVersion"`
	OSProcessor           string   `json:"osProcessor"`
	Version               string   `json:"version"`
	LastIPAddress         string   `json:"lastIpAddress"`
	LastExternalIPAddress string   `json:"lastExternalIpAddress"`
	OSBuild               int      `json:"osBuild"`
	HealthStatus          string   `json:"healthStatus"`
	RBACGroupID           int      `json:"rbacGroupId"`
	RBACGroupName         string   `json:"rbacGroupName"`
	RiskScore             string   `json:"riskScore"`
	ExposureLevel         string   `json:"exposureLevel"`
	IsAADJoined           bool     `json:"isAadJoined"`
	AADDeviceID           *string  `json:"aadDeviceId"`
	MachineTags           []string `json:"machineTags"`
	OnboardingStatus      string   `json:"onboardingStatus"`
	DeviceValue           string   `json:"deviceValue"`
}

func (m *machine) field(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "id":
		return m.ID, true
	case "computerdnsname":
		return m.ComputerDNSName, true
	case "lastipaddress":
		return m.LastIPAddress, true
	case "osplatform":
		return m.OSPlatform, true
	case "healthstatus":
		return m.HealthStatus, true
	case "onboardingstatus":
		return m.OnboardingStatus, true
	case "riskscore":
		return m.RiskScore, true
	case "exposurelevel":
		return m.ExposureLevel, true
	}
	return "", false
}

// actionJSON is Defender's machine action entity.
type actionJSON struct {
	Context                 string           `json:"@odata.context,omitempty"`
	ID                      string           `json:"id"`
	Type                    string           `json:"type"`
	Scope                   *string          `json:"scope"`
	Requestor               string           `json:"requestor"`
	RequestorComment        string           `json:"requestorComment"`
	Status                  string           `json:"status"`
	MachineID               string           `json:"machineId"`
	ComputerDNSName         string           `json:"computerDnsName"`
	CreationDateTimeUTC     string           `json:"creationDateTimeUtc"`
	LastUpdateDateTimeUTC   string           `json:"lastUpdateDateTimeUtc"`
	CancellationRequestor   *string          `json:"cancellationRequestor"`
	CancellationComment     *string          `json:"cancellationComment"`
	CancellationDateTimeUTC *string          `json:"cancellationDateTimeUtc"`
	ErrorHResult            int              `json:"errorHResult"`
	ExternalID              *string          `json:"externalId"`
	RequestSource           string           `json:"requestSource"`
	RelatedFileInfo         *json.RawMessage `json:"relatedFileInfo"`
	Commands                []any            `json:"commands"`
	TroubleshootInfo        *string          `json:"troubleshootInfo"`
}

func (a *actionJSON) field(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "id":
		return a.ID, true
	case "status":
		return a.Status, true
	case "machineid":
		return a.MachineID, true
	case "type":
		return a.Type, true
	case "requestor":
		return a.Requestor, true
	case "creationdatetimeutc":
		return a.CreationDateTimeUTC, true
	}
	return "", false
}

// indicatorJSON is Defender's indicator entity.
type indicatorJSON struct {
	Context                 string   `json:"@odata.context,omitempty"`
	ID                      string   `json:"id"`
	IndicatorValue          string   `json:"indicatorValue"`
	IndicatorType           string   `json:"indicatorType"`
	Action                  string   `json:"action"`
	Application             *string  `json:"application"`
	Source                  string   `json:"source"`
	SourceType              string   `json:"sourceType"`
	CreatedBySource         string   `json:"createdBySource"`
	CreatedBy               string   `json:"createdBy"`
	Title                   string   `json:"title"`
	Description             string   `json:"description"`
	Severity                string   `json:"severity"`
	GenerateAlert           bool     `json:"generateAlert"`
	RecommendedActions      *string  `json:"recommendedActions"`
	ExpirationTime          *string  `json:"expirationTime"`
	CreationTimeDateTimeUTC string   `json:"creationTimeDateTimeUtc"`
	LastUpdateTime          string   `json:"lastUpdateTime"`
	LastUpdatedBy           string   `json:"lastUpdatedBy"`
	RBACGroupNames          []string `json:"rbacGroupNames"`
	RBACGroupIDs            []string `json:"rbacGroupIds"`
}

func (ind *indicatorJSON) field(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "id":
		return ind.ID, true
	case "indicatorvalue":
		return ind.IndicatorValue, true
	case "indicatortype":
		return ind.IndicatorType, true
	case "action":
		return ind.Action, true
	case "title":
		return ind.Title, true
	case "severity":
		return ind.Severity, true
	case "createdby":
		return ind.CreatedBy, true
	}
	return "", false
}

// clause is one term of the OData subset the fake understands:
// `field eq 'value'` or `startswith(field,'value')`, joined by `and`.
type clause struct {
	fn, field, value string
}

func parseFilter(f string) ([]clause, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, nil
	}
	var out []clause
	for _, term := range splitOutsideQuotes(f, " and ") {
		term = strings.TrimSpace(term)
		lower := strings.ToLower(term)
		if strings.HasPrefix(lower, "startswith(") && strings.HasSuffix(term, ")") {
			field, lit, ok := strings.Cut(term[len("startswith("):len(term)-1], ",")
			if !ok {
				return nil, fmt.Errorf("invalid filter term %q", term)
			}
			v, err := unquote(strings.TrimSpace(lit))
			if err != nil {
				return nil, err
			}
			out = append(out, clause{"startswith", strings.TrimSpace(field), v})
			continue
		}
		parts := splitOutsideQuotes(term, " eq ")
		if len(parts) != 2 {
			return nil, fmt.Errorf("invalid filter term %q: only eq and startswith are supported", term)
		}
		v, err := unquote(strings.TrimSpace(parts[1]))
		if err != nil {
			return nil, err
		}
		out = append(out, clause{"eq", strings.TrimSpace(parts[0]), v})
	}
	return out, nil
}

// splitOutsideQuotes splits s at sep (matched without regard to case)
// where sep is not inside a quoted literal.
func splitOutsideQuotes(s, sep string) []string {
	var out []string
	in := false
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			in = !in
			continue
		}
		if !in && i+len(sep) <= len(s) && strings.EqualFold(s[i:i+len(sep)], sep) {
			out = append(out, s[start:i])
			start = i + len(sep)
			i = start - 1
		}
	}
	return append(out, s[start:])
}

func unquote(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", fmt.Errorf("invalid filter literal %s: want 'text'", lit)
	}
	return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), nil
}

// checkFields refuses a filter on a property the entity, read through
// get, does not have, even when there is no entity to test it on.
func checkFields(cs []clause, get func(string) (string, bool)) error {
	for _, c := range cs {
		if _, ok := get(c.field); !ok {
			return errors.New("filter on " + c.field + " is not supported")
		}
	}
	return nil
}

// matchAll reports whether an entity, read through get, satisfies every
// clause of a filter checkFields accepted. Comparisons ignore case, as
// Defender's do.
func matchAll(cs []clause, get func(string) (string, bool)) bool {
	for _, c := range cs {
		v, _ := get(c.field)
		v, want := strings.ToLower(v), strings.ToLower(c.value)
		if (c.fn == "eq" && v != want) || (c.fn == "startswith" && !strings.HasPrefix(v, want)) {
			return false
		}
	}
	return true
}
