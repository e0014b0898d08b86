package introspect

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// EnumTable is the content of a Hasura enum table (is_enum: true in the
// metadata): a table whose rows are the values of a GraphQL enum. Only
// the tables the metadata marks are read (see LoadEnumTables), since an
// enum's values are data, not schema.
type EnumTable struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Values are the table's rows: the primary key's text and the comment
	// column's, sorted by value.
	Values []EnumTableValue `json:"values"`
}

// EnumTableValue is one row of an enum table.
type EnumTableValue struct {
	Value string `json:"value"`
	// Comment is the row's comment column (the table's column other than
	// the primary key), when it has one and it is not null.
	Comment *string `json:"comment,omitempty"`
}

// EnumTable returns the values read from the enum table schema.name, or
// nil when they were not read.
func (s *Schema) EnumTable(schema, name string) *EnumTable {
	for i := range s.EnumTables {
		if s.EnumTables[i].Schema == schema && s.EnumTables[i].Name == name {
			return &s.EnumTables[i]
		}
	}
	return nil
}

// LoadEnumTables reads the rows of the given tables of s (schema.name
// pairs), which the metadata marks as enum tables, into s.EnumTables,
// replacing what s held for them. A table must be in s with a
// single-column primary key; the comment is its other column, if it has
// exactly one (the metadata checks the rest of Hasura's rules). Values
// are read as text and sorted, so the result does not depend on the
// order of the rows.
func LoadEnumTables(ctx context.Context, db Querier, s *Schema, tables [][2]string) error {
	if len(tables) == 0 {
		return nil
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("introspect: enum tables: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	for _, tn := range tables {
		t := s.Table(tn[0], tn[1])
		switch {
		case t == nil:
			return fmt.Errorf("introspect: enum table %s.%s is not in the introspected schemas", tn[0], tn[1])
		case t.PrimaryKey == nil || len(t.PrimaryKey.Columns) != 1:
			return fmt.Errorf("introspect: enum table %s.%s: no single-column primary key", tn[0], tn[1])
		}
		pk := t.PrimaryKey.Columns[0]
		commentSQL := "NULL::text"
		if len(t.Columns) == 2 {
			for _, c := range t.Columns {
				if c.Name != pk {
					commentSQL = quoteIdent(c.Name) + "::text"
				}
			}
		}
		q := "SELECT " + quoteIdent(pk) + "::text, " + commentSQL + " FROM " + quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("introspect: enum table %s.%s: %w", t.Schema, t.Name, err)
		}
		et := EnumTable{Schema: t.Schema, Name: t.Name, Values: []EnumTableValue{}}
		var value string
		var comment *string
		if _, err := pgx.ForEachRow(rows, []any{&value, &comment}, func() error {
			v := EnumTableValue{Value: value}
			if comment != nil {
				c := *comment
				v.Comment = &c
			}
			et.Values = append(et.Values, v)
			return nil
		}); err != nil {
			return fmt.Errorf("introspect: enum table %s.%s: %w", t.Schema, t.Name, err)
		}
		if old := s.EnumTable(t.Schema, t.Name); old != nil {
			*old = et
		} else {
			s.EnumTables = append(s.EnumTables, et)
		}
	}
	s.Sort()
	return nil
}

// sortEnumTables orders the enum tables by schema and name, and each
// one's values by value (byte order, as Hasura sorts enum values).
func sortEnumTables(ets []EnumTable) {
	sort.Slice(ets, func(i, j int) bool {
		if ets[i].Schema != ets[j].Schema {
			return ets[i].Schema < ets[j].Schema
		}
		return ets[i].Name < ets[j].Name
	})
	for i := range ets {
		vs := ets[i].Values
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Value < vs[j].Value })
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
