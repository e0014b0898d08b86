package wire

import "encoding/json"

// APILimits is Hasura's api_limits object, the form in which hasgen
// generate hands the metadata's api_limits.yaml to the server
// (schema/api_limits.jsonc).
type APILimits struct {
	Disabled   bool        `json:"disabled,omitempty"`
	DepthLimit *LimitValue `json:"depth_limit,omitempty"`
	NodeLimit  *LimitValue `json:"node_limit,omitempty"`
	TimeLimit  *LimitValue `json:"time_limit,omitempty"`
	BatchLimit *LimitValue `json:"batch_limit,omitempty"`
	// RateLimit is not served: its presence is an error.
	RateLimit json.RawMessage `json:"rate_limit,omitempty"`
}

// LimitValue is one limit: a global value, and per-role values that
// replace it. Times are seconds.
type LimitValue struct {
	Global  *float64           `json:"global,omitempty"`
	PerRole map[string]float64 `json:"per_role,omitempty"`
}
