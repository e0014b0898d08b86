package metadata

// Query collections and the allow list (Hasura's query_collections.yaml
// and allow_list.yaml, or the query_collections and allowlist keys of a
// metadata export). A collection is a named list of named GraphQL
// documents; the allow list names the collections whose documents a
// server started with HASURA_GRAPHQL_ENABLE_ALLOWLIST runs, for every role
// (scope global, the default) or for some (scope {global: false, roles}).
// The shapes and their checks are Hasura's
// (Hasura.RQL.Types.QueryCollection, Hasura.RQL.Types.Allowlist).

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// QueryCollection is a query collection: a name and GraphQL documents.
type QueryCollection struct {
	// Pos is where the collection's entry starts.
	Pos Pos
	// Name is the collection's name, unique among the collections.
	Name string
	// Comment is its optional comment.
	Comment string
	// Queries are the collection's documents (definition.queries), in
	// file order; their names are unique in the collection.
	Queries []CollectionQuery
}

// CollectionQuery is one document of a query collection.
type CollectionQuery struct {
	// Pos is where the query's entry starts; QueryPos where its text
	// (the query key's value) starts.
	Pos, QueryPos Pos
	// Name identifies the query in its collection; it is not the
	// document's operation name.
	Name string
	// Query is the GraphQL document as written. It parses: Load checks
	// it (and nothing more; whether it validates against a role's schema
	// is for the server, or the compiler, to say).
	Query string
}

// AllowListEntry is an entry of the allow list: a collection and the
// roles it is allowed for.
type AllowListEntry struct {
	// Pos is where the entry starts.
	Pos Pos
	// Collection names a collection of Metadata.QueryCollections.
	Collection string
	// Roles are the roles of scope {global: false, roles: [...]}, in
	// file order; nil for a global entry (every role).
	Roles []string
}

// Global reports whether the entry allows its collection to every role.
func (e *AllowListEntry) Global() bool { return len(e.Roles) == 0 }

// Collection returns the collection named name, or nil.
func (m *Metadata) Collection(name string) *QueryCollection {
	for _, c := range m.QueryCollections {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// queryCollections reads a list of query collections: the content of
// query_collections.yaml, or of a metadata export's query_collections.
func (l *loader) queryCollections(m *Metadata, x ynode) {
	if l.isNull(x) {
		return
	}
	items, ok := l.seq(x, "query_collections", "query_collections")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, c := range m.QueryCollections {
		seen[c.Name] = true
	}
	for _, it := range items {
		fields, ok := l.mapping(it, "query_collections", "a query collection")
		if !ok {
			continue
		}
		c := &QueryCollection{Pos: l.deref(it).pos()}
		var def *field
		for i, fl := range fields {
			switch fl.key {
			case "name":
				c.Name, _ = l.name(fl.val, "query_collections", "name")
			case "comment":
				if !l.isNull(fl.val) {
					c.Comment, _ = l.str(fl.val, "query_collections", "comment")
				}
			case "definition":
				def = &fields[i]
			default:
				l.errorf(fl.keyPos, "", "query_collections: %s is not a key of a query collection (name, definition, comment)", fl.key)
			}
		}
		if c.Name == "" {
			if !hasKey(fields, "name") {
				l.errorf(c.Pos, "", "query_collections: a query collection needs a name")
			}
			continue
		}
		ctx := fmt.Sprintf("query collection %q", c.Name)
		if seen[c.Name] {
			l.errorf(c.Pos, ctx, "a second collection of that name")
			continue
		}
		seen[c.Name] = true
		if def == nil {
			l.errorf(c.Pos, ctx, "a query collection needs a definition ({queries: [...]})")
			continue
		}
		c.Queries = l.collectionQueries(def.val, ctx)
		m.QueryCollections = append(m.QueryCollections, c)
	}
}

// collectionQueries reads a collection's definition: {queries: [{name,
// query}]}.
func (l *loader) collectionQueries(x ynode, ctx string) []CollectionQuery {
	fields, ok := l.mapping(x, ctx, "definition")
	if !ok {
		return nil
	}
	var out []CollectionQuery
	for _, fl := range fields {
		if fl.key != "queries" {
			l.errorf(fl.keyPos, ctx, "definition.%s is not a key of a collection's definition (queries)", fl.key)
			continue
		}
		if l.isNull(fl.val) {
			continue
		}
		items, ok := l.seq(fl.val, ctx, "definition.queries")
		if !ok {
			continue
		}
		names := map[string]bool{}
		for _, it := range items {
			q, ok := l.collectionQuery(it, ctx)
			if !ok {
				continue
			}
			if names[q.Name] {
				l.errorf(q.Pos, ctx, "a second query named %q", q.Name)
				continue
			}
			names[q.Name] = true
			out = append(out, q)
		}
	}
	return out
}

// collectionQuery reads one {name, query} of a collection and checks that
// the query parses as a GraphQL document.
func (l *loader) collectionQuery(x ynode, ctx string) (CollectionQuery, bool) {
	q := CollectionQuery{Pos: l.deref(x).pos()}
	fields, ok := l.mapping(x, ctx, "a query")
	if !ok {
		return q, false
	}
	hasQuery := false
	for _, fl := range fields {
		switch fl.key {
		case "name":
			q.Name, _ = l.name(fl.val, ctx, "a query's name")
		case "query":
			hasQuery = true
			q.QueryPos = l.deref(fl.val).pos()
			q.Query, _ = l.str(fl.val, ctx, "a query's query")
		default:
			l.errorf(fl.keyPos, ctx, "%s is not a key of a query (name, query)", fl.key)
		}
	}
	switch {
	case q.Name == "":
		if !hasKey(fields, "name") {
			l.errorf(q.Pos, ctx, "a query needs a name")
		}
		return q, false
	case !hasQuery:
		l.errorf(q.Pos, ctx, "query %q needs a query (its GraphQL document)", q.Name)
		return q, false
	case q.Query == "":
		return q, false // reported by str, or empty: below
	}
	if err := parseDocument(q.Query); err != nil {
		l.errorf(q.QueryPos, ctx, "query %q: %v", q.Name, err)
		return q, false
	}
	return q, true
}

// parseDocument checks that query is a GraphQL executable document with
// at least one operation, as Hasura requires of a collection's query.
func parseDocument(query string) error {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) && len(ge.Locations) > 0 {
			return fmt.Errorf("the query does not parse: line %d, column %d of the query: %s", ge.Locations[0].Line, ge.Locations[0].Column, ge.Message)
		}
		return fmt.Errorf("the query does not parse: %s", strings.TrimPrefix(err.Error(), "input:"))
	}
	if len(doc.Operations) == 0 {
		return errors.New("the query has no operation")
	}
	return nil
}

// allowList reads the allow list: the content of allow_list.yaml, or of a
// metadata export's allowlist. Each entry is {collection, scope}; scope
// is {global: true} (the default) or {global: false, roles: [...]}.
func (l *loader) allowList(m *Metadata, x ynode) {
	if l.isNull(x) {
		return
	}
	items, ok := l.seq(x, "allowlist", "allowlist")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, e := range m.AllowList {
		seen[e.Collection] = true
	}
	for _, it := range items {
		fields, ok := l.mapping(it, "allowlist", "an allow list entry")
		if !ok {
			continue
		}
		e := &AllowListEntry{Pos: l.deref(it).pos()}
		var scope *field
		for i, fl := range fields {
			switch fl.key {
			case "collection":
				e.Collection, _ = l.name(fl.val, "allowlist", "collection")
			case "scope":
				scope = &fields[i]
			default:
				l.errorf(fl.keyPos, "", "allowlist: %s is not a key of an allow list entry (collection, scope)", fl.key)
			}
		}
		if e.Collection == "" {
			if !hasKey(fields, "collection") {
				l.errorf(e.Pos, "", "allowlist: an entry needs a collection")
			}
			continue
		}
		ctx := fmt.Sprintf("allowlist entry %q", e.Collection)
		if seen[e.Collection] {
			// Hasura keys the allow list by collection.
			l.errorf(e.Pos, ctx, "the collection is already in the allow list")
			continue
		}
		seen[e.Collection] = true
		if scope != nil {
			roles, ok := l.allowListScope(scope.val, ctx)
			if !ok {
				continue
			}
			e.Roles = roles
		}
		m.AllowList = append(m.AllowList, e)
	}
}

// allowListScope reads an entry's scope: nil roles for {global: true},
// the roles of {global: false, roles: [...]}.
func (l *loader) allowListScope(x ynode, ctx string) ([]string, bool) {
	if l.isNull(x) {
		return nil, true
	}
	fields, ok := l.mapping(x, ctx, "scope")
	if !ok {
		return nil, false
	}
	global, hasGlobal := true, false
	var rolesField *field
	for i, fl := range fields {
		switch fl.key {
		case "global":
			g, ok := l.boolean(fl.val, ctx, "scope.global")
			if !ok {
				return nil, false
			}
			global, hasGlobal = g, true
		case "roles":
			rolesField = &fields[i]
		default:
			l.errorf(fl.keyPos, ctx, "scope.%s is not a key of a scope (global, roles)", fl.key)
			return nil, false
		}
	}
	at := l.deref(x).pos()
	switch {
	case !hasGlobal:
		l.errorf(at, ctx, "scope needs global: true, or global: false with roles")
		return nil, false
	case global && rolesField != nil:
		l.errorf(rolesField.keyPos, ctx, "roles are not allowed when global is true")
		return nil, false
	case global:
		return nil, true
	case rolesField == nil:
		l.errorf(at, ctx, "a scope with global: false needs roles")
		return nil, false
	}
	items, ok := l.seq(rolesField.val, ctx, "scope.roles")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		l.errorf(rolesField.keyPos, ctx, "scope.roles must name at least one role")
		return nil, false
	}
	var roles []string
	seen := map[string]bool{}
	for _, rx := range items {
		r, ok := l.name(rx, ctx, "a role of scope.roles")
		if !ok {
			return nil, false
		}
		if seen[r] {
			l.errorf(l.deref(rx).pos(), ctx, "duplicate roles are not allowed (%q)", r)
			return nil, false
		}
		seen[r] = true
		if r == "admin" {
			l.warns = append(l.warns, &Error{Pos: l.deref(rx).pos(), Msg: ctx + ": the allow list does not apply to admin; the role is ignored in scope.roles"})
		}
		roles = append(roles, r)
	}
	return roles, true
}

// checkAllowList reports the allow list's entries whose collection is
// not among the query collections, once both are read.
func (l *loader) checkAllowList(m *Metadata) {
	for _, e := range m.AllowList {
		if m.Collection(e.Collection) == nil {
			l.errorf(e.Pos, fmt.Sprintf("allowlist entry %q", e.Collection), "there is no query collection %q (query_collections.yaml)", e.Collection)
		}
	}
}
