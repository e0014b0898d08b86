package generate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/model"
)

// schemaSQL renders sql/schema.sql: the DDL of the tracked tables, from the
// introspected model, for sqlc to type the user's queries. It is not a
// migration: it holds what sqlc reads (columns with their types and NOT
// NULL, keys, foreign keys between tracked tables, enum types, comments)
// and nothing that only Postgres needs (defaults, checks, indexes,
// triggers). Domains are written as the type their values have, since
// sqlc types a column by its base type; views and materialized views are
// tables of their columns.
//
// The output is sorted like the model (tables by schema and name, columns
// in table order, constraints by name), so the same database and
// permissions give the same bytes.
func schemaSQL(p *model.Project, source string) []byte {
	var b strings.Builder
	b.WriteString(sqlHeader(source))
	b.WriteString("--\n-- The tracked tables, for sqlc (sqlc.yaml). Views are written as tables\n-- of their columns; domains as their base types.\n")

	schemas := map[string]bool{}
	enums := map[string]*introspect.Enum{}
	for _, t := range p.Tables {
		schemas[t.Schema] = true
		for i := range t.DB.Columns {
			typ := t.DB.Columns[i].Type.Scalar()
			if typ.Kind == introspect.TypeEnum {
				if e := p.DB.Enum(typ.Schema, typ.Name); e != nil {
					enums[typ.Schema+"."+typ.Name] = e
					schemas[e.Schema] = true
				}
			}
		}
	}
	delete(schemas, "public")
	for _, s := range sortedKeys(schemas) {
		fmt.Fprintf(&b, "\nCREATE SCHEMA IF NOT EXISTS %s;\n", model.QuoteIdent(s))
	}
	for _, k := range sortedKeys(enums) {
		e := enums[k]
		labels := make([]string, len(e.Labels))
		for i, l := range e.Labels {
			labels[i] = quoteLiteral(l)
		}
		fmt.Fprintf(&b, "\nCREATE TYPE %s AS ENUM (%s);\n", qualified(e.Schema, e.Name), strings.Join(labels, ", "))
		if e.Comment != "" {
			fmt.Fprintf(&b, "COMMENT ON TYPE %s IS %s;\n", qualified(e.Schema, e.Name), quoteLiteral(e.Comment))
		}
	}

	tracked := map[string]bool{}
	for _, t := range p.Tables {
		tracked[t.Schema+"."+t.Name] = true
	}
	var fks []string
	for _, t := range p.Tables {
		it := t.DB
		name := qualified(it.Schema, it.Name)
		b.WriteString("\n")
		if it.Kind != introspect.KindTable && it.Kind != introspect.KindPartitionedTable {
			fmt.Fprintf(&b, "-- %s.%s is a %s.\n", it.Schema, it.Name, strings.ReplaceAll(it.Kind, "_", " "))
		}
		fmt.Fprintf(&b, "CREATE TABLE %s (\n", name)
		var lines []string
		for i := range it.Columns {
			c := &it.Columns[i]
			line := "    " + model.QuoteIdent(c.Name) + " " + typeSQL(c.Type.Scalar())
			if c.NotNull || domainNotNull(p.DB, c.Type) {
				line += " NOT NULL"
			}
			lines = append(lines, line)
		}
		if pk := it.PrimaryKey; pk != nil {
			lines = append(lines, fmt.Sprintf("    CONSTRAINT %s PRIMARY KEY (%s)", model.QuoteIdent(pk.Name), identList(pk.Columns)))
		}
		for _, u := range it.UniqueConstraints {
			lines = append(lines, fmt.Sprintf("    CONSTRAINT %s UNIQUE (%s)", model.QuoteIdent(u.Name), identList(u.Columns)))
		}
		b.WriteString(strings.Join(lines, ",\n"))
		b.WriteString("\n);\n")
		if it.Comment != "" {
			fmt.Fprintf(&b, "COMMENT ON TABLE %s IS %s;\n", name, quoteLiteral(it.Comment))
		}
		for i := range it.Columns {
			c := &it.Columns[i]
			if c.Comment != "" {
				fmt.Fprintf(&b, "COMMENT ON COLUMN %s.%s IS %s;\n", name, model.QuoteIdent(c.Name), quoteLiteral(c.Comment))
			}
		}
		for _, fk := range it.ForeignKeys {
			if !tracked[fk.RefSchema+"."+fk.RefTable] {
				continue
			}
			fks = append(fks, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s);\n",
				name, model.QuoteIdent(fk.Name), identList(fk.Columns), qualified(fk.RefSchema, fk.RefTable), identList(fk.RefColumns)))
		}
	}
	if len(fks) > 0 {
		b.WriteString("\n")
		for _, fk := range fks {
			b.WriteString(fk)
		}
	}
	return []byte(b.String())
}

// domainNotNull reports whether t is a domain declared NOT NULL, directly
// or through a domain it is defined over.
func domainNotNull(db *introspect.Schema, t introspect.Type) bool {
	for depth := 0; t.Kind == introspect.TypeDomain && depth < 16; depth++ {
		var next *introspect.Type
		for i := range db.Domains {
			d := &db.Domains[i]
			if d.Schema == t.Schema && d.Name == t.Name {
				if d.NotNull {
					return true
				}
				next = &d.Base
				break
			}
		}
		if next == nil {
			return false
		}
		t = *next
	}
	return false
}

// typeSQL writes a column type. Types of pg_catalog are written as
// Postgres prints them (typmod included: "character varying(160)"); other
// types by their quoted, qualified name, with one [] per dimension.
func typeSQL(t introspect.Type) string {
	if t.Schema == "pg_catalog" || t.Schema == "" {
		return t.SQL
	}
	return qualified(t.Schema, t.Name) + strings.Repeat("[]", t.Dims)
}

func qualified(schema, name string) string {
	return model.QuoteIdent(schema) + "." + model.QuoteIdent(name)
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = model.QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
