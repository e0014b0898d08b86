package templates

// The streaming fields of subscription_root: <t>_stream(batch_size,
// cursor, where) for each table whose select permission allows
// select_stream (all of them for admin), with its input types
// <t>_stream_cursor_input and <t>_stream_cursor_value_input and the enum
// cursor_ordering, as Hasura v2 defines them. runtime/compile/stream.go
// and runtime/live/stream.go execute them.

import "github.com/hasgen/hasgen/model"

// streamRootFields returns the <t>_stream fields of subscription_root and
// defines the types they use.
func (b *sdlBuilder) streamRootFields() []*sdlField {
	var out []*sdlField
	for _, v := range b.list {
		t := v.Table
		if t.Roots.SelectStream == "" || !v.HasStream() || len(v.Columns()) == 0 {
			continue
		}
		b.streamTypes(v)
		description := "fetch data from the table in a streaming manner: " + sdlQualified(t)
		if t.Meta != nil && t.Meta.Configuration.CustomRootFields.SelectStream.Comment != "" {
			description = t.Meta.Configuration.CustomRootFields.SelectStream.Comment
		}
		out = append(out, &sdlField{name: t.Roots.SelectStream, typ: "[" + t.TypeName("") + "!]!", description: description,
			args: []sdlArg{
				{name: b.n("batch_size"), typ: "Int!", description: "maximum number of rows returned in a single batch"},
				{name: "cursor", typ: "[" + t.TypeName("_stream_cursor_input") + "]!", description: "cursor to stream the results returned by the query"},
				{name: "where", typ: t.TypeName("_bool_exp"), description: "filter the rows returned"},
			}})
	}
	return out
}

// streamTypes defines the cursor input types of v's table and enum
// cursor_ordering.
func (b *sdlBuilder) streamTypes(v *model.View) {
	t := v.Table
	b.define(&sdlType{kind: sdlEnum, name: b.p.Naming.Type("cursor_ordering"), description: "ordering argument of a cursor", values: []sdlValue{
		{name: "ASC", description: "ascending ordering of the cursor"},
		{name: "DESC", description: "descending ordering of the cursor"},
	}})
	b.define(&sdlType{kind: sdlInput, name: t.TypeName("_stream_cursor_input"), description: "Streaming cursor of the table " + sdlQualified(t),
		fields: []*sdlField{
			{name: b.n("initial_value"), typ: t.TypeName("_stream_cursor_value_input") + "!", description: "Stream column input with initial value"},
			{name: "ordering", typ: b.p.Naming.Type("cursor_ordering"), description: "cursor ordering"},
		}})
	values := &sdlType{kind: sdlInput, name: t.TypeName("_stream_cursor_value_input"), description: "Initial value of the column from where the streaming should start"}
	for _, c := range v.Columns() {
		b.scalar(c)
		values.fields = append(values.fields, &sdlField{name: c.Field, typ: c.InputType(), description: c.Description})
	}
	b.define(values)
}
