package generate

import (
	"errors"
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
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
			if len(validator.Validate(s, op.QueryDocument())) == 0 {
				roles = append(roles, role)
			}
		}
		// Admin last: validation records each field's definition, which
		// the types are read from.
		if verrs := validator.Validate(admin, op.QueryDocument()); len(verrs) > 0 {
			// A fragment's error comes once per walk through it: once.
			seen := map[string]bool{}
			for _, ve := range verrs {
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

// validationError places a validation error of op: file:line:col (in the
// file of the fragment it is in, when it is in one), the operation, the
// message.
func validationError(op *operation, e *gqlerror.Error) error {
	file := op.File
	if f, ok := e.Extensions["file"].(string); ok && f != "" {
		file = f
	}
	if len(e.Locations) > 0 {
		return fmt.Errorf("%s:%d:%d: operation %s is not valid for any role: %s", file, e.Locations[0].Line, e.Locations[0].Column, op.Name, e.Message)
	}
	return fmt.Errorf("%s: operation %s is not valid for any role: %s", op.Pos(), op.Name, e.Message)
}
