package metadata

import "regexp"

// Customization is a database source's customization: the naming
// convention of its GraphQL names, and the prefix, suffix and namespace of
// its root fields and type names (Hasura's SourceCustomization).
type Customization struct {
	// NamingConvention is "hasura-default", "graphql-default", or "" when
	// the source does not set one (the server-wide default then applies:
	// HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION, else hasura-default).
	NamingConvention string
	// RootNamespace, when set, is the one root field of each operation type
	// that holds the source's root fields.
	RootNamespace string
	// RootPrefix and RootSuffix are added to every root field name.
	RootPrefix, RootSuffix string
	// TypePrefix and TypeSuffix are added to every type name the source
	// defines (not to GraphQL's built-in scalars).
	TypePrefix, TypeSuffix string
	// Pos is where the customization is written.
	Pos Pos
}

// Naming conventions.
const (
	HasuraDefault  = "hasura-default"
	GraphQLDefault = "graphql-default"
)

// customizationName is a GraphQL name: what Hasura accepts for a prefix,
// suffix or namespace.
var customizationName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// customization reads a source's customization: root_fields {namespace,
// prefix, suffix}, type_names {prefix, suffix} and naming_convention. The
// values must be GraphQL names, as Hasura requires.
func (l *loader) customization(x ynode, ctx string) *Customization {
	fields, ok := l.mapping(x, ctx, "customization")
	if !ok {
		return nil
	}
	c := &Customization{Pos: l.deref(x).pos()}
	ctx += " customization"
	for _, f := range fields {
		switch f.key {
		case "naming_convention":
			if l.isNull(f.val) {
				continue
			}
			s, ok := l.str(f.val, ctx, "naming_convention")
			switch {
			case !ok:
			case s == HasuraDefault || s == GraphQLDefault:
				c.NamingConvention = s
			default:
				l.errorf(l.deref(f.val).pos(), ctx, `naming_convention can either be "hasura-default" or "graphql-default", not %q`, s)
			}
		case "root_fields":
			l.customNames(f.val, ctx, "root_fields", map[string]*string{
				"namespace": &c.RootNamespace, "prefix": &c.RootPrefix, "suffix": &c.RootSuffix})
		case "type_names":
			l.customNames(f.val, ctx, "type_names", map[string]*string{
				"prefix": &c.TypePrefix, "suffix": &c.TypeSuffix})
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
	}
	return c
}

// customNames reads a mapping of GraphQL names into the strings of into.
func (l *loader) customNames(x ynode, ctx, what string, into map[string]*string) {
	if l.isNull(x) {
		return
	}
	fields, ok := l.mapping(x, ctx, what)
	if !ok {
		return
	}
	for _, f := range fields {
		dst := into[f.key]
		if dst == nil {
			l.errorf(f.keyPos, ctx, "unknown key %q in %s", f.key, what)
			continue
		}
		if l.isNull(f.val) {
			continue
		}
		s, ok := l.str(f.val, ctx, what+"."+f.key)
		if !ok {
			continue
		}
		if !customizationName.MatchString(s) {
			l.errorf(l.deref(f.val).pos(), ctx, "%s.%s: %q is not a valid GraphQL name", what, f.key, s)
			continue
		}
		*dst = s
	}
}
