package generate

import (
	"errors"
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// clientFiles renders the typed client (client/, templates.Client) of the
// operations of dir/operations/*.graphql; none without operations. Each
// operation is validated against every role's schema, built by an engine
// from the schema files this generation writes (generated, keyed by path)
// and the custom schema (customSDL), as the server will build them: it must
// be valid for admin, and its function names the roles it is valid for.
// A subscription has no function (the client posts over HTTP): it is a
// warning.
func clientFiles(p *model.Project, src string, dir string, generated map[string][]byte, customSDL []byte) (map[string][]byte, []string, error) {
	ops, err := loadOperations(dir)
	if err != nil || len(ops) == 0 {
		return nil, nil, err
	}
	schemas := fstest.MapFS{}
	for path, b := range generated {
		if rel, ok := strings.CutPrefix(path, "schema/"); ok {
			schemas[rel] = &fstest.MapFile{Data: b}
		}
	}
	e, err := engine.New(engine.Config{Tables: templates.Descriptors(p), Schemas: schemas, CustomSDL: string(customSDL)}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("the schemas operations/*.graphql are validated against: %w", err)
	}
	admin, err := e.Schema(model.AdminRole)
	if err != nil {
		return nil, nil, err
	}
	var (
		warnings []string
		errs     []error
		typed    []templates.ClientOperation
	)
	for _, op := range ops {
		if op.Kind == ast.Subscription {
			warnings = append(warnings, fmt.Sprintf("%s: subscription %s has no function in client/: the typed client runs queries and mutations", op.Pos(), op.Name))
			continue
		}
		var roles []string
		for _, role := range e.Roles() {
			if role == model.AdminRole {
				continue
			}
			s, err := e.Schema(role)
			if err != nil {
				return nil, nil, err
			}
			if engine.Validate(s, op.QueryDocument()) == nil {
				roles = append(roles, role)
			}
		}
		// Admin last: validation records each field's definition, which
		// the types are read from.
		if verr := engine.Validate(admin, op.QueryDocument()); verr != nil {
			// A fragment's error comes once per walk through it: once.
			seen := map[string]bool{}
			for _, ve := range wire.Errors(verr) {
				err := validationError(op, ve)
				if !seen[err.Error()] {
					seen[err.Error()] = true
					errs = append(errs, err)
				}
			}
			continue
		}
		roles = append([]string{model.AdminRole}, roles...)
		typed = append(typed, templates.ClientOperation{
			Name: op.Name, Kind: op.Kind, File: op.File, Pos: op.Pos(),
			Def: op.Def, Fragments: op.Fragments, Document: op.Document, Roles: roles,
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if len(typed) == 0 {
		return nil, warnings, nil
	}
	files, err := templates.Client(p, admin, typed, src)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string][]byte, len(files))
	for path, b := range files {
		out[path] = withHeader(goHeader(src), b)
	}
	return out, warnings, nil
}

// validationError places a validation error of op: file:line:col of
// GraphQL's rule's error, or of the node Hasura's path names (in the file
// of the fragment it is in, when it is in one); the operation; Hasura's
// message.
func validationError(op *operation, e *wire.Error) error {
	var ge *gqlerror.Error
	if errors.As(e.Err, &ge) && len(ge.Locations) > 0 {
		file := op.File
		if f, ok := ge.Extensions["file"].(string); ok && f != "" {
			file = f
		}
		return fmt.Errorf("%s:%d:%d: operation %s is not valid for any role: %s", file, ge.Locations[0].Line, ge.Locations[0].Column, op.Name, e.Message)
	}
	place := op.Pos()
	if pos := pathPos(op, e.Path); pos != nil {
		place = at(pos)
	}
	return fmt.Errorf("%s: operation %s is not valid for any role: %s", place, op.Name, e.Message)
}

// pathPos finds the node a Hasura error path names in op
// ($.selectionSet.users.selectionSet.nope, $.selectionSet.users.args.where.x):
// the deepest field or argument it reaches, through fragments; nil for
// none.
func pathPos(op *operation, path string) *ast.Position {
	parts := strings.Split(strings.TrimPrefix(path, "$."), ".")
	var pos *ast.Position
	set := op.Def.SelectionSet
	for i := 0; i+1 < len(parts); i += 2 {
		switch parts[i] {
		case "selectionSet":
			f := fieldByKey(set, parts[i+1], op.Fragments)
			if f == nil {
				return pos
			}
			pos, set = f.Position, f.SelectionSet
			if i+2 < len(parts) && parts[i+2] == "args" && i+3 < len(parts) {
				if a := f.Arguments.ForName(parts[i+3]); a != nil {
					return a.Position
				}
				return pos
			}
		default:
			return pos
		}
	}
	return pos
}

// fieldByKey is the field of set (or of its fragments) answering key.
func fieldByKey(set ast.SelectionSet, key string, frags ast.FragmentDefinitionList) *ast.Field {
	for _, sel := range set {
		var inner ast.SelectionSet
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Alias == key || (sel.Alias == "" && sel.Name == key) {
				return sel
			}
			continue
		case *ast.InlineFragment:
			inner = sel.SelectionSet
		case *ast.FragmentSpread:
			if fd := frags.ForName(sel.Name); fd != nil {
				inner = fd.SelectionSet
			}
		}
		if f := fieldByKey(inner, key, frags); f != nil {
			return f
		}
	}
	return nil
}
