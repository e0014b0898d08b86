package wire

import (
	"encoding/json"
	"fmt"
	"strings"
)

// APILimits is Hasura's api_limits object, the form in which hasgen
// generate hands the metadata's api_limits.yaml to the server
// (schema/api_limits.jsonc).
type APILimits struct {
	Disabled   bool            `json:"disabled,omitempty"`
	DepthLimit *LimitValue     `json:"depth_limit,omitempty"`
	NodeLimit  *LimitValue     `json:"node_limit,omitempty"`
	TimeLimit  *LimitValue     `json:"time_limit,omitempty"`
	BatchLimit *LimitValue     `json:"batch_limit,omitempty"`
	RateLimit  *RateLimitValue `json:"rate_limit,omitempty"`
}

// RateLimitValue is api_limits.rate_limit: a global rule and per-role
// rules that replace it.
type RateLimitValue struct {
	Global  *RateLimit           `json:"global,omitempty"`
	PerRole map[string]RateLimit `json:"per_role,omitempty"`
}

// RateLimit is one rate-limit rule: at most MaxReqsPerMin operations a
// minute for each role and value of UniqueParams.
type RateLimit struct {
	MaxReqsPerMin int          `json:"max_reqs_per_min"`
	UniqueParams  UniqueParams `json:"unique_params,omitzero"`
}

// UniqueParams is what, besides the role, tells the clients of a rate
// limit apart: the client's IP address ("IP" in the metadata) or the
// values of session variables (a list of their names); neither is the
// role alone.
type UniqueParams struct {
	IP bool
	// SessionVariables are lower-case names (x-hasura-user-id).
	SessionVariables []string
}

// IsZero reports whether p is the role alone.
func (p UniqueParams) IsZero() bool { return !p.IP && len(p.SessionVariables) == 0 }

// MarshalJSON writes Hasura's form: "IP" or a list of names.
func (p UniqueParams) MarshalJSON() ([]byte, error) {
	if p.IP {
		return []byte(`"IP"`), nil
	}
	return json.Marshal(p.SessionVariables)
}

// UnmarshalJSON reads "IP" (any case), a list of session variable names,
// or null.
func (p *UniqueParams) UnmarshalJSON(b []byte) error {
	*p = UniqueParams{}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if !strings.EqualFold(s, "ip") {
			return fmt.Errorf("unique_params: want \"IP\" or a list of session variables, not %q", s)
		}
		p.IP = true
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("unique_params: want \"IP\" or a list of session variables")
	}
	for _, n := range names {
		if !strings.HasPrefix(strings.ToLower(n), "x-hasura-") {
			return fmt.Errorf("unique_params: %q is not a session variable (x-hasura-*)", n)
		}
		p.SessionVariables = append(p.SessionVariables, strings.ToLower(n))
	}
	return nil
}

// LimitValue is one limit: a global value, and per-role values that
// replace it. Times are seconds.
type LimitValue struct {
	Global  *float64           `json:"global,omitempty"`
	PerRole map[string]float64 `json:"per_role,omitempty"`
}
