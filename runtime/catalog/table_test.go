package catalog_test

import (
	"testing"

	"github.com/hasgen/hasgen/runtime/catalog"
)

// TestRelationshipUnique: an object relationship is over a key of the
// remote table (at most one row matches, compile writes no LIMIT) only
// when its remote columns cover the primary key or a unique constraint.
func TestRelationshipUnique(t *testing.T) {
	remote := &catalog.Table{
		Schema: "public", Name: "r", Type: "r",
		Columns:     []catalog.Column{{Name: "id", Field: "id"}, {Name: "a", Field: "a"}, {Name: "b", Field: "b"}, {Name: "c", Field: "c"}},
		PrimaryKey:  []string{"id"},
		Constraints: map[string][]string{"r_pkey": {"id"}, "r_a_b_key": {"a", "b"}},
	}
	cases := []struct {
		name   string
		remote []string
		want   bool
	}{
		{"primary key", []string{"id"}, true},
		{"unique constraint", []string{"a", "b"}, true},
		{"more columns than a key", []string{"a", "b", "c"}, true},
		{"part of a unique constraint", []string{"a"}, false},
		{"not a key", []string{"c"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			local := &catalog.Table{Schema: "public", Name: "l", Type: "l"}
			rel := catalog.Relationship{Name: "rel", Remote: "public.r"}
			for _, col := range c.remote {
				local.Columns = append(local.Columns, catalog.Column{Name: "l_" + col, Field: "l_" + col})
				rel.Mapping = append(rel.Mapping, catalog.ColumnPair{Local: "l_" + col, Remote: col})
			}
			local.Relationships = []catalog.Relationship{rel}
			s, err := catalog.NewSchema(local, remote)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Table("public", "l").Relationship("rel").Unique(); got != c.want {
				t.Errorf("Unique() = %v, want %v", got, c.want)
			}
		})
	}
}
