package remote

import "strconv"

// Relationship is a table's remote relationship to a remote schema: a
// field of the table's object type whose value is a remote field, called
// with arguments built from the row's columns. hasgen generate checks it
// against the remote's snapshot and writes it to remote_schemas.jsonc.
type Relationship struct {
	// Table is the served name of the table's object type; Name the
	// relationship's field.
	Table string `json:"table"`
	Name  string `json:"name"`
	// Columns are the row's columns the call needs (Postgres names), in
	// the order Vars' Column indexes them.
	Columns []string `json:"columns"`
	// Path is the remote field's path from the remote's query root.
	Path []RelationshipStep `json:"path"`
	// Vars are the variables the steps' arguments use: $hasgen_<i> for
	// Vars[i], bound to a column's value.
	Vars []RelationshipVar `json:"vars,omitempty"`
	// LeafType is the served name of the last field's named type, whose
	// selections the client writes.
	LeafType string `json:"leaf_type"`
}

// RelationshipStep is one field of a relationship's path.
type RelationshipStep struct {
	// Field is the field's name in the remote; Served its served name
	// and Parent the served name of its parent type (for presets).
	Field  string `json:"field"`
	Served string `json:"served"`
	Parent string `json:"parent"`
	// Args are the arguments the metadata gives, as GraphQL text (the
	// remote's names), columns as variables $hasgen_<i>.
	Args string `json:"args,omitempty"`
}

// RelationshipVar is a variable of a relationship's call: a column's
// value, of the remote's type Type.
type RelationshipVar struct {
	Column int    `json:"column"`
	Type   string `json:"type"`
}

// VarName is the name of the i-th variable in a relationship's Args.
func VarName(i int) string { return "hasgen_" + strconv.Itoa(i) }

// TypeRelationship is a relationship from a remote's object type to a
// table: a field of the type whose value is the table's rows (read with
// the caller's select permission, through the table's select root field
// filtered on the mapped columns) whose columns equal the object's
// fields.
type TypeRelationship struct {
	// Type is the served name of the remote type; Name the field.
	Type string `json:"type"`
	Name string `json:"name"`
	// Array is set for an array relationship (a list of rows), else one
	// row or null.
	Array bool `json:"array,omitempty"`
	// Root is the table's select root field, Namespace the root field
	// namespace it is under ("" for none).
	Root      string `json:"root"`
	Namespace string `json:"namespace,omitempty"`
	// Mapping pairs the type's fields (the remote's names) with the
	// table's columns (their GraphQL fields).
	Mapping []FieldColumn `json:"field_mapping"`
}

// FieldColumn pairs a remote type's field with a column's GraphQL field.
type FieldColumn struct {
	Field  string `json:"field"`
	Column string `json:"column"`
}
