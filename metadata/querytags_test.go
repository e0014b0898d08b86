package metadata

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestQueryTags reads a source's query_tags: what it says, in Hasura's
// names, and errors at the position of what is wrong.
func TestQueryTags(t *testing.T) {
	cases := []struct {
		name, tags string
		want       string // the JSON of Metadata.QueryTags, or
		err        string // the error
	}{
		{"none", "", "null", ""},
		{"empty", "  query_tags: {}\n", "{}", ""},
		{"all", "  query_tags: {disabled: false, format: SQLCommenter, omit_request_id: false}\n", `{"format":"sqlcommenter","omit_request_id":false}`, ""},
		{"disabled", "  query_tags: {disabled: true}\n", `{"disabled":true}`, ""},
		{"bad format", "  query_tags: {format: standard_prepended}\n", "", `metadata/databases/databases.yaml:3:24: database source "default" query_tags: format must be standard or sqlcommenter, not "standard_prepended"`},
		{"bad key", "  query_tags: {omit_request: true}\n", "", `metadata/databases/databases.yaml:3:16: database source "default" query_tags: unknown key "omit_request" (disabled, format, omit_request_id)`},
		{"not a bool", "  query_tags: {omit_request_id: yes please}\n", "", `omit_request_id must be true or false`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := "- name: default\n  kind: postgres\n" + c.tags + "  tables:\n    - table: {schema: public, name: orgs}\n"
			m, err := loadString(t, "metadata/databases/databases.yaml", db)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(m.QueryTags)
			if string(got) != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}
