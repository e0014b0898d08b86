package generate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// dirOperations holds the user's GraphQL operations in the emitted project
// (operations/*.graphql): the typed client and the compiled operations are
// generated from them.
const dirOperations = "operations"

// operation is one named operation of operations/*.graphql, with the
// fragments it uses, which may be defined in any file of the directory.
type operation struct {
	// Name is the operation's name, unique across the directory.
	Name string
	// Kind is query, mutation or subscription.
	Kind ast.Operation
	// File is the file it is defined in, slash-separated and relative to
	// the project (operations/<file>.graphql); Line and Column where its
	// definition starts.
	File         string
	Line, Column int
	// Def is the parsed operation; Fragments the fragments it uses,
	// directly or through other fragments, sorted by name. Their
	// positions are in the files they come from.
	Def       *ast.OperationDefinition
	Fragments ast.FragmentDefinitionList
	// Document is the text a client sends for it: the operation, then its
	// fragments, printed by gqlparser's formatter, so that the same
	// operation gives the same text whatever its file's layout.
	Document string
}

// Pos is the operation's place for messages: operations/x.graphql:3:1.
func (o *operation) Pos() string { return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Column) }

// QueryDocument is the operation as one document, for validation against a
// role's schema: the operation and its fragments.
func (o *operation) QueryDocument() *ast.QueryDocument {
	return &ast.QueryDocument{Operations: ast.OperationList{o.Def}, Fragments: o.Fragments}
}

// loadOperations parses operations/*.graphql of the project in dir and
// returns its named operations sorted by name; none when the directory
// does not exist. Every problem is reported, each with file:line:col: a
// syntax error, an anonymous operation, a name or fragment defined twice,
// a fragment spread of an unknown fragment. It does not validate against a
// schema: which roles an operation is valid for is its callers' question.
func loadOperations(dir string) ([]*operation, error) {
	paths, err := filepath.Glob(filepath.Join(dir, dirOperations, "*.graphql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var (
		errs      []error
		ops       []*operation
		byName    = map[string]*operation{}
		fragments = map[string]*ast.FragmentDefinition{}
	)
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		rel := dirOperations + "/" + filepath.Base(path)
		doc, err := parser.ParseQuery(&ast.Source{Name: rel, Input: string(b)})
		if err != nil {
			errs = append(errs, positioned(rel, err))
			continue
		}
		for _, f := range doc.Fragments {
			if prev, ok := fragments[f.Name]; ok {
				errs = append(errs, fmt.Errorf("%s: fragment %q is already defined at %s", at(f.Position), f.Name, at(prev.Position)))
				continue
			}
			fragments[f.Name] = f
		}
		for _, def := range doc.Operations {
			if def.Name == "" {
				errs = append(errs, fmt.Errorf("%s: an operation of %s must be named: its name is the generated function's", at(def.Position), dirOperations))
				continue
			}
			if prev, ok := byName[def.Name]; ok {
				errs = append(errs, fmt.Errorf("%s: operation %q is already defined at %s", at(def.Position), def.Name, prev.Pos()))
				continue
			}
			op := &operation{Name: def.Name, Kind: def.Operation, File: rel, Line: def.Position.Line, Column: def.Position.Column, Def: def}
			byName[def.Name] = op
			ops = append(ops, op)
		}
	}
	for _, op := range ops {
		used, err := usedFragments(op.Def.SelectionSet, fragments)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		op.Fragments = used
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatQueryDocument(op.QueryDocument())
		op.Document = b.String()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	return ops, nil
}

// usedFragments returns the fragments set spreads, directly or through
// other fragments, sorted by name; an error names an unknown one where it
// is spread.
func usedFragments(set ast.SelectionSet, defined map[string]*ast.FragmentDefinition) (ast.FragmentDefinitionList, error) {
	seen := map[string]bool{}
	var errs []error
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				walk(sel.SelectionSet)
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				if seen[sel.Name] {
					continue
				}
				f, ok := defined[sel.Name]
				if !ok {
					errs = append(errs, fmt.Errorf("%s: unknown fragment %q: no file of %s defines it", at(sel.Position), sel.Name, dirOperations))
					continue
				}
				seen[sel.Name] = true
				walk(f.SelectionSet)
			}
		}
	}
	walk(set)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(ast.FragmentDefinitionList, len(names))
	for i, n := range names {
		out[i] = defined[n]
	}
	return out, nil
}

// at is a parsed node's place: file:line:col.
func at(p *ast.Position) string {
	if p == nil {
		return "?"
	}
	name := ""
	if p.Src != nil {
		name = p.Src.Name
	}
	return fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
}

// positioned turns a gqlparser error into file:line:col: message.
func positioned(file string, err error) error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) {
		if len(gerr.Locations) > 0 {
			return fmt.Errorf("%s:%d:%d: %s", file, gerr.Locations[0].Line, gerr.Locations[0].Column, gerr.Message)
		}
		return fmt.Errorf("%s: %s", file, gerr.Message)
	}
	return fmt.Errorf("%s: %w", file, err)
}
