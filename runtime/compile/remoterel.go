package compile

// Remote relationships (a table's field answered by a remote schema): the
// row's JSON holds, in the field's place, a marker object the engine
// replaces with the remote's answer after the statement ran:
//
//	{"<marker>" : [<index in Plan.RemoteRels>, <column>, ...]}
//
// The columns are those the relationship's arguments need; the engine
// collects the distinct sets across all rows and calls the remote once
// per field (runtime/engine/remote_rel.go).

import (
	"strconv"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// RemoteRel is a remote relationship field of a plan: the marker objects
// with its index stand for its values.
type RemoteRel struct {
	// Type is the served name of the table's type; Name the
	// relationship's field.
	Type, Name string
	// Field is the client's field, carrying the selections merged under
	// its response key.
	Field *ast.Field
	// Path is the field's error path in the operation ($.selectionSet...).
	Path string
}

// RemoteRelColumns gives the columns (Postgres names) the remote
// relationship field of the served type typ needs, false when field is
// not a remote relationship.
type RemoteRelColumns func(typ, field string) ([]string, bool)

// remoteRelValue returns what writes the marker of a remote relationship
// field f of t's row b, or nil when the role may not use it.
func (c *compiler) remoteRelValue(t *catalog.Table, perm *catalog.SelectPermission, b string, f *collected, cols []string, path string) func() {
	if c.subscribing {
		c.fail(path, wire.CodeValidationFailed, "remote relationship field '%s' is not served in subscriptions by hasgen", f.field.Name)
		return nil
	}
	columns := make([]*catalog.Column, len(cols))
	for i, name := range cols {
		col := t.ColumnByName(name)
		if col == nil || !perm.Allows(name) {
			c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
			return nil
		}
		columns[i] = col
	}
	field := *f.field
	field.SelectionSet = f.sels
	idx := len(c.remoteRels)
	c.remoteRels = append(c.remoteRels, RemoteRel{Type: f.field.ObjectDefinition.Name, Name: f.field.Name, Field: &field, Path: path})
	return func() {
		w := c.w
		w.Write("json_build_object(", catalog.QuoteLiteral(c.marker), "::text, json_build_array(", strconv.Itoa(idx))
		for _, col := range columns {
			w.Write(", ", b, ".", col.SQL())
		}
		w.WriteString("))")
	}
}
