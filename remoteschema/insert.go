package remoteschema

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Insert adds the part p of remote schema name to sdl, a generated
// schema: its root fields at the end of query_root and mutation_root
// (mutation_root declared when sdl has none), its types at the end. A
// root field or type that sdl already has is an error naming both; a
// scalar of the same name is shared.
func Insert(sdl []byte, name string, p *Part) ([]byte, error) {
	doc, err := parser.ParseSchema(&ast.Source{Name: "schema", Input: string(sdl)})
	if err != nil {
		return nil, fmt.Errorf("remote schema %q: the generated schema does not parse: %w", name, err)
	}
	byName := map[string]*ast.Definition{}
	for _, d := range doc.Definitions {
		byName[d.Name] = d
	}
	for _, root := range []struct {
		typ   string
		names []string
	}{{"query_root", p.QueryNames}, {"mutation_root", p.MutationNames}} {
		if d := byName[root.typ]; d != nil {
			for _, n := range root.names {
				if d.Fields.ForName(n) != nil {
					return nil, fmt.Errorf("remote schema %q: root field %s.%s is already defined by the database part (rename it with the remote's customization)", name, root.typ, n)
				}
			}
		}
	}
	types := p.Types
	for _, n := range p.TypeNames {
		if d := byName[n]; d != nil {
			if d.Kind == ast.Scalar && strings.Contains(types, "scalar "+n+"\n") {
				types = strings.Replace(types, "scalar "+n+"\n", "", 1)
				continue
			}
			return nil, fmt.Errorf("remote schema %q: type %s is already defined by the database part (rename it with the remote's type_names customization)", name, n)
		}
	}
	s := string(sdl)
	if p.Query != "" {
		if s, err = addFields(s, "query_root", p.Query); err != nil {
			return nil, fmt.Errorf("remote schema %q: %w", name, err)
		}
	}
	if p.Mutation != "" {
		if byName["mutation_root"] == nil {
			s = strings.Replace(s, "  query: query_root\n", "  query: query_root\n  mutation: mutation_root\n", 1)
			s = strings.TrimRight(s, "\n") + "\n\ntype mutation_root {\n" + p.Mutation + "}\n"
		} else if s, err = addFields(s, "mutation_root", p.Mutation); err != nil {
			return nil, fmt.Errorf("remote schema %q: %w", name, err)
		}
	}
	if types != "" {
		s = strings.TrimRight(s, "\n") + "\n\n" + types
	}
	return []byte(s), nil
}

// AddFields inserts fields (formatted field definitions) at the end of
// the object type typ of sdl, a generated schema.
func AddFields(sdl, typ, fields string) (string, error) { return addFields(sdl, typ, fields) }

// addFields inserts fields (formatted field definitions) before the end
// of type typ's body in sdl.
func addFields(sdl, typ, fields string) (string, error) {
	head := "type " + typ + " {\n"
	i := strings.Index(sdl, head)
	if i < 0 || (i > 0 && sdl[i-1] != '\n') {
		return "", fmt.Errorf("no %s in the generated schema", typ)
	}
	j := strings.Index(sdl[i:], "\n}")
	if j < 0 {
		return "", fmt.Errorf("%s has no end in the generated schema", typ)
	}
	at := i + j + 1
	return sdl[:at] + "\n" + fields + sdl[at:], nil
}
