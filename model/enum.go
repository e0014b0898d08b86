package model

// Hasura's enum tables (is_enum: true): a table whose rows are the values
// of a GraphQL enum <t>_enum, and every column that references it by a
// single-column foreign key to its primary key is typed by that enum, in
// outputs and inputs, and compared with <t>_enum_comparison_exp (_eq,
// _neq, _in, _nin, _is_null). The enum table itself stays an ordinary
// table in the schema. Values are text in Postgres; the GraphQL layer
// checks them against the enum.

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// EnumValue is a value of an enum table: a row's primary key and its
// comment (the description; "" for none).
type EnumValue struct {
	Name        string
	Description string
}

// EnumType is the GraphQL enum of an enum table: <t>_enum, with the
// table's custom name as <t> when it has one.
func (t *Table) EnumType() string { return t.Type + "_enum" }

// IsEnum reports an enum table.
func (t *Table) IsEnum() bool { return t.Meta != nil && t.Meta.IsEnum }

// enums reads the enum tables' values and types the columns that
// reference them, returning what stops that, worded as Hasura words it.
func (p *Project) enums() []string {
	var problems []string
	for _, t := range p.Tables {
		if !t.IsEnum() {
			continue
		}
		et := p.DB.EnumTable(t.Schema, t.Name)
		if et == nil {
			problems = append(problems, fmt.Sprintf("enum table %s: its values were not read: generate from the database (--database-url), or write the snapshot with hasgen introspect --config", t.Qualified()))
			continue
		}
		var bad []string
		for _, v := range et.Values {
			if !validName(v.Value) || v.Value == "true" || v.Value == "false" || v.Value == "null" {
				bad = append(bad, v.Value)
				continue
			}
			ev := EnumValue{Name: v.Value}
			if v.Comment != nil {
				ev.Description = *v.Comment
			}
			t.EnumValues = append(t.EnumValues, ev)
		}
		sort.Slice(t.EnumValues, func(i, j int) bool { return t.EnumValues[i].Name < t.EnumValues[j].Name })
		switch {
		case len(et.Values) == 0:
			problems = append(problems, fmt.Sprintf("the table %q cannot be used as an enum because the table must have at least one row", t.Name))
		case len(bad) == 1:
			problems = append(problems, fmt.Sprintf("the table %q cannot be used as an enum because the value %q is not a valid GraphQL enum value name", t.Name, bad[0]))
		case len(bad) > 1:
			sort.Strings(bad)
			q := make([]string, len(bad))
			for i, b := range bad {
				q[i] = fmt.Sprintf("%q", b)
			}
			list := q[0] + " and " + q[1]
			if len(q) > 2 {
				list = strings.Join(q[:len(q)-1], ", ") + ", and " + q[len(q)-1]
			}
			problems = append(problems, fmt.Sprintf("the table %q cannot be used as an enum because the values %s are not valid GraphQL enum value names", t.Name, list))
		}
	}
	for _, t := range p.Tables {
		for _, c := range t.Columns {
			var refs []*Table
			for _, fk := range t.DB.ForeignKeys {
				if len(fk.Columns) != 1 || fk.Columns[0] != c.Name {
					continue
				}
				remote := p.Table(fk.RefSchema, fk.RefTable)
				if remote == nil || !remote.IsEnum() || len(remote.PrimaryKey) != 1 || remote.PrimaryKey[0].Name != fk.RefColumns[0] {
					continue
				}
				if !slices.Contains(refs, remote) {
					refs = append(refs, remote)
				}
			}
			switch {
			case len(refs) == 1:
				c.Enum = refs[0]
				c.Scalar = refs[0].EnumType()
			case len(refs) > 1:
				names := make([]string, len(refs))
				for i, r := range refs {
					names[i] = fmt.Sprintf("%q", r.Qualified())
				}
				problems = append(problems, fmt.Sprintf("column %q in table %s references multiple enum tables (%s)", c.Name, t.Qualified(), strings.Join(names, ", ")))
			}
		}
	}
	return problems
}
