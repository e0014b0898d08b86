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
		{"rate limit", "rate_limit:\n  global: {unique_params: IP, max_reqs_per_min: 10}\n", "", "metadata/api_limits.yaml:1:1: api_limits.rate_limit is not supported by hasgen"},
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
