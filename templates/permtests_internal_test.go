package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
)

// invoicesProject is Chinook's invoices and customers with role r's select
// filter on invoices set to filter.
func invoicesProject(t *testing.T, filter string) *model.Project {
	t.Helper()
	s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "introspect", "chinook_graphql_bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := `
- table: {schema: public, name: customers}
  array_relationships:
    - name: invoices
      using:
        foreign_key_constraint_on: {table: {schema: public, name: invoices}, column: customer_id}
  select_permissions:
    - role: r
      permission:
        columns: [id, first_name]
        filter: {}
- table: {schema: public, name: invoices}
  object_relationships:
    - name: customer
      using: {foreign_key_constraint_on: customer_id}
  select_permissions:
    - role: r
      permission:
        columns: [id, customer_id, total]
        filter: ` + filter + `
`
	path := filepath.Join(t.TempDir(), "hasgen.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(path, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDerivePermCase: the rows derived from a filter, and what is said
// instead when none can be.
func TestDerivePermCase(t *testing.T) {
	cases := []struct {
		name, filter        string
		allowed, forbidden  int
		rels                int
		note                string // a note that must be there ("" for none)
		allowedIn, forbidIn map[string]string
	}{
		{name: "session variable", filter: `{customer_id: {_eq: X-Hasura-User-Id}}`, allowed: 1, forbidden: 1, rels: 1,
			allowedIn: map[string]string{"customer_id": "1"}},
		{name: "empty", filter: `{}`, allowed: 1, forbidden: 0, rels: 1, note: "the filter is {}"},
		{name: "and: a row per operand violated", filter: `{customer_id: {_eq: X-Hasura-User-Id}, total: {_gt: 10}}`,
			allowed: 1, forbidden: 2, rels: 1, allowedIn: map[string]string{"customer_id": "1", "total": "11"}},
		{name: "or: a row per operand satisfied", filter: `{_or: [{customer_id: {_eq: X-Hasura-User-Id}}, {total: {_lte: 0}}]}`,
			allowed: 2, forbidden: 1, rels: 1},
		{name: "not", filter: `{_not: {customer_id: {_eq: X-Hasura-User-Id}}}`, allowed: 1, forbidden: 1, rels: 1,
			forbidIn: map[string]string{"customer_id": "1"}},
		{name: "relationship", filter: `{customer: {first_name: {_eq: Ada}}}`, allowed: 1, forbidden: 1, rels: 1},
		{name: "relationship exists", filter: `{customer: {}}`, allowed: 1, forbidden: 0, rels: 1,
			note: "must have no row, but its foreign key"},
		{name: "in", filter: `{total: {_in: [1, 2]}}`, allowed: 1, forbidden: 1, rels: 1, allowedIn: map[string]string{"total": "1"}},
		{name: "contradiction", filter: `{customer_id: {_eq: 1}, _and: [{customer_id: {_eq: 2}}]}`, allowed: 0, forbidden: 2, rels: 1,
			note: "not derived: select: a row that satisfies"},
		{name: "exists", filter: `{_exists: {_table: {schema: public, name: customers}, _where: {id: {_eq: 1}}}}`,
			note: "not derived: select: a row that satisfies (exists"},
		{name: "pattern operator", filter: `{billing_country: {_like: "F%"}}`, note: "operator _like"},
		{name: "column comparison", filter: `{customer_id: {_ceq: id}}`, note: "a comparison between columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := invoicesProject(t, c.filter)
			pc := derivePermCase(p, p.Table("public", "invoices"), "r")
			notes := strings.Join(pc.notes, "\n")
			if c.note != "" && !strings.Contains(notes, c.note) {
				t.Errorf("notes %q lack %q", notes, c.note)
			}
			if c.note == "" && notes != "" {
				t.Errorf("unexpected notes: %s", notes)
			}
			var allowed, forbidden, rels int
			if pc.sel != nil {
				allowed, forbidden, rels = len(pc.sel.allowed), len(pc.sel.forbidden), len(pc.sel.rels)
				for col, want := range c.allowedIn {
					for _, r := range pc.sel.allowed {
						if v := r.values[col]; v == nil || *v != want {
							t.Errorf("allowed row has %s = %v, want %s", col, v, want)
						}
					}
				}
				for col, want := range c.forbidIn {
					for _, r := range pc.sel.forbidden {
						if v := r.values[col]; v == nil || *v != want {
							t.Errorf("forbidden row has %s = %v, want %s", col, v, want)
						}
					}
				}
			}
			if allowed != c.allowed || forbidden != c.forbidden || rels != c.rels {
				t.Errorf("%d allowed, %d forbidden, %d relationships; want %d, %d, %d (notes: %s)", allowed, forbidden, rels, c.allowed, c.forbidden, c.rels, notes)
			}
			// Every row inserted has its foreign keys' rows before it.
			seen := map[*fixtureRow]bool{}
			for _, r := range pc.rows {
				for _, d := range r.deps {
					if !seen[d] {
						t.Errorf("%s inserted before the %s row it references", r.table.Name, d.table.Name)
					}
				}
				seen[r] = true
			}
		})
	}
}
