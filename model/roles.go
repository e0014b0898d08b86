package model

import (
	"strings"

	"github.com/hasgen/hasgen/metadata"
)

// AdminRole sees everything.
const AdminRole = "admin"

// View is what one role sees of one table: the gates of Hasura's schema
// generation. For admin every gate is open.
type View struct {
	Table *Table
	Role  string
	Perm  *SelectPermission // nil for admin
}

// View returns role's view of t, or nil when the role cannot select from
// it (the table does not exist in the role's schema).
func (p *Project) View(t *Table, role string) *View {
	if role == AdminRole {
		return &View{Table: t, Role: role}
	}
	perm := t.Select[role]
	if perm == nil {
		return nil
	}
	return &View{Table: t, Role: role, Perm: perm}
}

// Visible lists the tables role can select from, sorted.
func (p *Project) Visible(role string) []*View {
	var out []*View
	for _, t := range p.Tables {
		if v := p.View(t, role); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// IsAdmin reports whether the view is admin's.
func (v *View) IsAdmin() bool { return v.Perm == nil }

// Columns returns the columns the role may select, in table order.
func (v *View) Columns() []*Column {
	if v.IsAdmin() {
		return v.Table.Columns
	}
	return v.Perm.Columns
}

// FieldType is the column's output type for the role: its GraphQL type,
// made nullable where an inherited role sees the column in some rows only
// (Hasura's cell semantics: the other rows show NULL).
func (v *View) FieldType(c *Column) string {
	if v.CellRestricted(c.Name) {
		return strings.TrimSuffix(c.GraphQLType(), "!")
	}
	return c.GraphQLType()
}

// CellRestricted reports a column (by name) that an inherited role sees
// in some of its rows only: NULL in the others, relationships over it
// included.
func (v *View) CellRestricted(column string) bool {
	if v.IsAdmin() || v.Perm.Meta == nil {
		return false
	}
	_, ok := v.Perm.Meta.ColumnFilters[column]
	return ok
}

// CanSelect reports whether the role may select the column.
func (v *View) CanSelect(c *Column) bool {
	for _, x := range v.Columns() {
		if x == c {
			return true
		}
	}
	return false
}

// Unfiltered reports whether the role sees every row: admin, or a select
// permission whose filter is {}.
func (v *View) Unfiltered() bool {
	if v.IsAdmin() {
		return true
	}
	a, ok := v.Perm.Filter.(*metadata.And)
	return v.Perm.Filter == nil || (ok && len(a.Exprs) == 0)
}

// Aggregations reports allow_aggregations (always for admin).
func (v *View) Aggregations() bool { return v.IsAdmin() || v.Perm.Aggregations }

// HasSelect, HasByPk, HasAggregate and HasStream report the table's root
// fields in query_root (subscription false) or subscription_root (true).
func (v *View) HasSelect(subscription bool) bool {
	return v.IsAdmin() || v.rootSet(subscription).Select
}

// HasByPk reports <t>_by_pk: the table has a primary key, all of whose
// columns the role may select.
func (v *View) HasByPk(subscription bool) bool {
	if len(v.Table.PrimaryKey) == 0 {
		return false
	}
	for _, c := range v.Table.PrimaryKey {
		if !v.CanSelect(c) {
			return false
		}
	}
	return v.IsAdmin() || v.rootSet(subscription).SelectByPk
}

// HasAggregate reports <t>_aggregate.
func (v *View) HasAggregate(subscription bool) bool {
	return v.Aggregations() && (v.IsAdmin() || v.rootSet(subscription).SelectAggregate)
}

// HasStream reports <t>_stream (subscriptions only).
func (v *View) HasStream() bool {
	return v.IsAdmin() || v.Perm.Subscription.SelectStream
}

func (v *View) rootSet(subscription bool) (s struct{ Select, SelectByPk, SelectAggregate bool }) {
	set := v.Perm.Query
	if subscription {
		set = v.Perm.Subscription
	}
	s.Select, s.SelectByPk, s.SelectAggregate = set.Select, set.SelectByPk, set.SelectAggregate
	return s
}

// Relationships returns the relationships whose remote table the role can
// select from.
func (v *View) Relationships(p *Project) []*Relationship {
	var out []*Relationship
	for _, r := range v.Table.Relationships {
		if p.View(r.Remote, v.Role) != nil {
			out = append(out, r)
		}
	}
	return out
}

// RemoteAggregations reports whether the role may aggregate over the
// relationship's remote table (<rel>_aggregate fields, order_by and
// predicates).
func (v *View) RemoteAggregations(p *Project, r *Relationship) bool {
	rv := p.View(r.Remote, v.Role)
	return rv != nil && rv.Aggregations()
}

// NumericColumns returns the selectable numeric columns (sum, avg, ...).
func (v *View) NumericColumns() []*Column {
	var out []*Column
	for _, c := range v.Columns() {
		if c.IsNumeric() {
			out = append(out, c)
		}
	}
	return out
}

// ComparableColumns returns the selectable columns min and max apply to.
func (v *View) ComparableColumns() []*Column {
	var out []*Column
	for _, c := range v.Columns() {
		if c.IsComparable() {
			out = append(out, c)
		}
	}
	return out
}

// BooleanColumns returns the selectable bool columns (bool_and, bool_or
// aggregate predicates).
func (v *View) BooleanColumns() []*Column {
	var out []*Column
	for _, c := range v.Columns() {
		if c.IsBoolean() {
			out = append(out, c)
		}
	}
	return out
}
