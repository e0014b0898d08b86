package metadata

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAPILimits reads api_limits.yaml beside databases/ in a metadata
// directory, and reports what hasgen does not serve with its position.
func TestAPILimits(t *testing.T) {
	databases := "- name: default\n  kind: postgres\n  tables:\n    - table: {schema: public, name: orgs}\n"
	cases := []struct {
		name, limits string
		want         string // the JSON of Metadata.APILimits, or
		err          string // the error
	}{
		{"none", "", "null", ""},
		{"empty", "{}\n", "null", ""},
		{"limits", "disabled: false\ndepth_limit:\n  global: 5\n  per_role:\n    user: 3\nnode_limit:\n  per_role: {user: 100}\ntime_limit: {global: 10}\nbatch_limit: {global: 2}\n",
			`{"depth_limit":{"global":5,"per_role":{"user":3}},"node_limit":{"per_role":{"user":100}},"time_limit":{"global":10},"batch_limit":{"global":2}}`, ""},
		{"rate limit", "rate_limit:\n  global: {unique_params: IP, max_reqs_per_min: 10}\n  per_role:\n    user: {max_reqs_per_min: 5, unique_params: [X-Hasura-User-Id, x-hasura-org-id]}\n    anonymous: {max_reqs_per_min: 2, unique_params: ip}\n    guest: {max_reqs_per_min: 1}\n",
			`{"rate_limit":{"global":{"max_reqs_per_min":10,"unique_params":"IP"},"per_role":{"anonymous":{"max_reqs_per_min":2,"unique_params":"IP"},"guest":{"max_reqs_per_min":1},"user":{"max_reqs_per_min":5,"unique_params":["x-hasura-user-id","x-hasura-org-id"]}}}}`, ""},
		{"rate limit admin ignored", "rate_limit:\n  per_role:\n    admin: {max_reqs_per_min: 5}\n", `{"rate_limit":{}}`, ""},
		{"rate limit without max", "rate_limit:\n  global: {unique_params: IP}\n", "", "metadata/api_limits.yaml:2:11: api_limits.rate_limit.global: max_reqs_per_min is required"},
		{"rate limit of zero", "rate_limit:\n  global: {max_reqs_per_min: 0}\n", "", "metadata/api_limits.yaml:2:30: api_limits.rate_limit.global: max_reqs_per_min must be at least 1"},
		{"rate limit unique_params", "rate_limit:\n  global: {max_reqs_per_min: 3, unique_params: host}\n", "", `metadata/api_limits.yaml:2:48: api_limits.rate_limit.global: unique_params must be IP or a list of session variables, not "host"`},
		{"rate limit not a variable", "rate_limit:\n  global: {max_reqs_per_min: 3, unique_params: [user-id]}\n", "", `api_limits.rate_limit.global: unique_params: "user-id" is not a session variable (x-hasura-*)`},
		{"rate limit key", "rate_limit:\n  global: {max_reqs_per_min: 3, per_ip: true}\n", "", `api_limits.rate_limit.global.per_ip is not a key of a rate limit rule (max_reqs_per_min, unique_params)`},
		{"negative", "depth_limit: {global: -1}\n", "", "metadata/api_limits.yaml:1:23: api_limits.depth_limit: global must be a non-negative 32-bit integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := []string{"metadata/databases/databases.yaml", databases}
			if c.limits != "" {
				files = append(files, "metadata/api_limits.yaml", c.limits)
			}
			m, err := loadString(t, files...)
			if err == nil && c.err != "" {
				err = m.UnsupportedError()
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(m.APILimits)
			if string(got) != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

// TestRateLimitAdminWarning: a rate limit for admin, which Hasura never
// limits, is accepted with a warning that says it has no effect.
func TestRateLimitAdminWarning(t *testing.T) {
	m, err := loadString(t, "metadata/databases/databases.yaml", "- name: default\n  kind: postgres\n  tables: []\n",
		"metadata/api_limits.yaml", "rate_limit:\n  per_role:\n    admin: {max_reqs_per_min: 5}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "metadata/api_limits.yaml:3:5: api_limits.rate_limit.per_role: admin is never rate limited; its rule is ignored"
	if len(m.Warnings) != 1 || m.Warnings[0].Error() != want {
		t.Fatalf("warnings %v, want %q", m.Warnings, want)
	}
}
