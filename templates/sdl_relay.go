package templates

// The Relay schema Hasura v2 serves on /v1beta1/relay: relay/full.graphqls
// for admin and relay/roles/<role>.graphqls for every other role. It is
// the /v1/graphql schema with these differences (Hasura's
// buildRelayRoleContext):
//
//   - query_root and subscription_root hold node(id: ID!): Node and, for
//     each table with a primary key whose select root field the role may
//     use, <t>_connection(after, before, distinct_on, first, last,
//     order_by, where): <t>Connection!; no <t>, <t>_by_pk, <t>_aggregate
//     or <t>_stream;
//   - mutation_root is /v1/graphql's (tracked functions exposed as
//     mutations included); no <fn>_connection for the query functions;
//   - the object type of a table with a primary key implements Node: its
//     field id: ID! is the global id, and a column named id is not in the
//     type (it stays in the table's inputs);
//   - an array relationship to a table with a primary key also has
//     <rel>_connection.
//
// runtime/compile/relay.go executes it.

import (
	"fmt"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
)

// RelaySDL returns the Relay schema document that role sees (Hasura's
// Relay API). Like SDL, it is deterministic and fails on name clashes.
func RelaySDL(p *model.Project, role string) ([]byte, error) {
	b := newSDLBuilder(p, role)
	b.relay = true
	b.tables()
	b.root("query", "query_root", b.relayRootFields(false))
	b.root("mutation", "mutation_root", append(b.mutationRootFields(), b.functionMutationFields()...))
	b.root("subscription", "subscription_root", b.relayRootFields(true))
	return b.document()
}

// relayRootFields returns node and the <t>_connection fields of
// query_root or subscription_root.
func (b *sdlBuilder) relayRootFields(subscription bool) []*sdlField {
	var out []*sdlField
	for _, v := range b.list {
		if len(v.Table.PrimaryKey) == 0 || !v.HasSelect(subscription) {
			continue
		}
		out = append(out, &sdlField{name: v.Table.Type + "_connection", typ: b.relayConnection(v) + "!",
			args: b.relayArgs(v), description: "fetch data from the table: " + sdlQualified(v.Table)})
	}
	if len(b.relayImplementations()) > 0 {
		b.relayNodeInterface()
		out = append(out, &sdlField{name: "node", typ: "Node",
			args: []sdlArg{{name: "id", typ: "ID!", description: "A globally unique id"}}})
	}
	return out
}

// relayArgs are the arguments of a connection field over v's table.
func (b *sdlBuilder) relayArgs(v *model.View) []sdlArg {
	t := v.Table.Type
	args := []sdlArg{{name: "after", typ: "String"}, {name: "before", typ: "String"}}
	if len(v.Columns()) > 0 {
		args = append(args, sdlArg{name: "distinct_on", typ: "[" + t + "_select_column!]", description: "distinct select on columns"})
	}
	args = append(args, sdlArg{name: "first", typ: "Int"}, sdlArg{name: "last", typ: "Int"})
	if b.orderable[v.Table] {
		args = append(args, sdlArg{name: "order_by", typ: "[" + t + "_order_by!]", description: "sort the rows by one or more columns"})
	}
	return append(args, sdlArg{name: "where", typ: t + "_bool_exp", description: "filter the rows returned"})
}

// relayConnection defines <t>Connection, <t>Edge and PageInfo and returns
// the connection type's name.
func (b *sdlBuilder) relayConnection(v *model.View) string {
	t := v.Table.Type
	b.define(&sdlType{kind: sdlObject, name: "PageInfo", fields: []*sdlField{
		{name: "endCursor", typ: "String!"},
		{name: "hasNextPage", typ: "Boolean!"},
		{name: "hasPreviousPage", typ: "Boolean!"},
		{name: "startCursor", typ: "String!"},
	}})
	b.define(&sdlType{kind: sdlObject, name: t + "Edge", fields: []*sdlField{
		{name: "cursor", typ: "String!"},
		{name: "node", typ: t + "!"},
	}})
	b.define(&sdlType{kind: sdlObject, name: t + "Connection", description: "A Relay connection object on " + sdlQualified(v.Table),
		fields: []*sdlField{
			{name: "edges", typ: "[" + t + "Edge!]!"},
			{name: "pageInfo", typ: "PageInfo!"},
		}})
	return t + "Connection"
}

// relayNodeInterface defines interface Node.
func (b *sdlBuilder) relayNodeInterface() {
	b.define(&sdlType{kind: sdlInterface, name: "Node", description: "An object with globally unique ID",
		fields: []*sdlField{{name: "id", typ: "ID!", description: "A globally unique identifier"}}})
}

// relayHidesColumn reports a column the Relay object type of v's table
// leaves out: one named id, when the table's id is its global id.
func (b *sdlBuilder) relayHidesColumn(v *model.View, c *model.Column) bool {
	return b.relay && len(v.Table.PrimaryKey) > 0 && c.Field == "id"
}

// relayNode makes the object type d of v's table implement Node.
func (b *sdlBuilder) relayNode(d *sdlType, v *model.View) {
	if !b.relay || len(v.Table.PrimaryKey) == 0 {
		return
	}
	b.relayNodeInterface()
	d.interfaces = []string{"Node"}
	d.fields = append(d.fields, &sdlField{name: "id", typ: "ID!"})
}

// relayConnectionField adds <rel>_connection to d for an array
// relationship to a table with a primary key.
func (b *sdlBuilder) relayConnectionField(d *sdlType, r *model.Relationship, remote *model.View) {
	if !b.relay || !r.Array || len(r.Remote.PrimaryKey) == 0 {
		return
	}
	d.fields = append(d.fields, &sdlField{name: r.Name + "_connection", typ: b.relayConnection(remote) + "!",
		args: b.relayArgs(remote), description: "An array relationship connection"})
}

// relayImplementations returns the types that implement Node: they are
// in the schema even when no field returns them, since node(id:) may.
func (b *sdlBuilder) relayImplementations() []string {
	if !b.relay {
		return nil
	}
	var out []string
	for _, v := range b.list {
		if len(v.Table.PrimaryKey) > 0 {
			out = append(out, v.Table.Type)
		}
	}
	return out
}

// RelayEngineConfig is EngineConfig for the Relay API: the Relay schemas
// of admin and every role, built in memory.
func RelayEngineConfig(p *model.Project) (engine.Config, error) {
	sdl := map[string][]byte{}
	for _, role := range append([]string{model.AdminRole}, p.Roles...) {
		b, err := RelaySDL(p, role)
		if err != nil {
			return engine.Config{}, fmt.Errorf("relay schema of role %s: %w", role, err)
		}
		sdl[role] = b
	}
	return engine.Config{Tables: Descriptors(p), SDL: sdl, Relay: true}, nil
}
