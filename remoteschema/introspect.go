// Package remoteschema reads the remote schemas of a Hasura metadata at
// generate time: each remote is introspected over HTTP into a snapshot
// (its SDL, deterministic, committed as schema/remote/<name>.graphqls),
// from which its customized parts are merged into the admin's schema and
// each role's (merge.go), and the runtime's description of each remote
// is written (schema/remote_schemas.jsonc). Drift between a snapshot and
// the live remote is named type by type and field by field (Diff).
package remoteschema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// IntrospectionQuery is the standard introspection query, as GraphQL's
// reference implementation writes it.
const IntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// Introspect sends the introspection query to the remote c (with its
// configured headers, as admin) and returns the remote's schema as SDL
// (SDL).
func Introspect(ctx context.Context, c *remote.Client) (string, error) {
	resp, err := c.Do(ctx, nil, &remote.Request{Query: IntrospectionQuery, OperationName: "IntrospectionQuery"})
	if err != nil {
		return "", fmt.Errorf("introspect remote schema %q: %w", c.Name, err)
	}
	if len(resp.Errors) > 0 {
		return "", fmt.Errorf("introspect remote schema %q: the remote answered errors: %s", c.Name, resp.Errors[0])
	}
	sdl, err := SDL(resp.Data)
	if err != nil {
		return "", fmt.Errorf("introspect remote schema %q: %w", c.Name, err)
	}
	return sdl, nil
}

type introType struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Description   string       `json:"description"`
	Fields        []introField `json:"fields"`
	InputFields   []introInput `json:"inputFields"`
	Interfaces    []typeRef    `json:"interfaces"`
	EnumValues    []introEnum  `json:"enumValues"`
	PossibleTypes []typeRef    `json:"possibleTypes"`
}

type introField struct {
	Name              string       `json:"name"`
	Description       string       `json:"description"`
	Args              []introInput `json:"args"`
	Type              typeRef      `json:"type"`
	IsDeprecated      bool         `json:"isDeprecated"`
	DeprecationReason *string      `json:"deprecationReason"`
}

type introInput struct {
	Name         string  `json:"name"`
	Description  string  `json:"description"`
	Type         typeRef `json:"type"`
	DefaultValue *string `json:"defaultValue"`
}

type introEnum struct {
	Name              string  `json:"name"`
	Description       string  `json:"description"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

type introDirective struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Locations   []string     `json:"locations"`
	Args        []introInput `json:"args"`
}

type named struct {
	Name string `json:"name"`
}

// SDL turns the data of an introspection query's answer into SDL: types
// sorted by name (their fields in the remote's order), built-in scalars,
// introspection types and built-in directives left out.
func SDL(data []byte) (string, error) {
	var d struct {
		Schema *struct {
			QueryType        *named           `json:"queryType"`
			MutationType     *named           `json:"mutationType"`
			SubscriptionType *named           `json:"subscriptionType"`
			Types            []introType      `json:"types"`
			Directives       []introDirective `json:"directives"`
		} `json:"__schema"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("the introspection answer: %w", err)
	}
	s := d.Schema
	if s == nil || s.QueryType == nil {
		return "", fmt.Errorf("the introspection answer has no __schema.queryType")
	}
	doc := &ast.SchemaDocument{}
	sd := &ast.SchemaDefinition{}
	sd.OperationTypes = append(sd.OperationTypes, &ast.OperationTypeDefinition{Operation: ast.Query, Type: s.QueryType.Name})
	if s.MutationType != nil {
		sd.OperationTypes = append(sd.OperationTypes, &ast.OperationTypeDefinition{Operation: ast.Mutation, Type: s.MutationType.Name})
	}
	if s.SubscriptionType != nil {
		sd.OperationTypes = append(sd.OperationTypes, &ast.OperationTypeDefinition{Operation: ast.Subscription, Type: s.SubscriptionType.Name})
	}
	doc.Schema = append(doc.Schema, sd)
	types := s.Types
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	for _, t := range types {
		if strings.HasPrefix(t.Name, "__") || builtinScalar[t.Name] {
			continue
		}
		def := &ast.Definition{Name: t.Name, Description: t.Description}
		switch t.Kind {
		case "SCALAR":
			def.Kind = ast.Scalar
		case "OBJECT", "INTERFACE":
			def.Kind = ast.Object
			if t.Kind == "INTERFACE" {
				def.Kind = ast.Interface
			}
			for _, i := range t.Interfaces {
				def.Interfaces = append(def.Interfaces, i.Name)
			}
			for _, f := range t.Fields {
				fd := &ast.FieldDefinition{Name: f.Name, Description: f.Description, Type: f.Type.ast(), Arguments: args(f.Args)}
				fd.Directives = deprecated(f.IsDeprecated, f.DeprecationReason)
				def.Fields = append(def.Fields, fd)
			}
		case "UNION":
			def.Kind = ast.Union
			for _, p := range t.PossibleTypes {
				def.Types = append(def.Types, p.Name)
			}
		case "ENUM":
			def.Kind = ast.Enum
			for _, v := range t.EnumValues {
				def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: v.Name, Description: v.Description,
					Directives: deprecated(v.IsDeprecated, v.DeprecationReason)})
			}
		case "INPUT_OBJECT":
			def.Kind = ast.InputObject
			for _, a := range args(t.InputFields) {
				def.Fields = append(def.Fields, &ast.FieldDefinition{Name: a.Name, Description: a.Description, Type: a.Type, DefaultValue: a.DefaultValue})
			}
		default:
			return "", fmt.Errorf("type %s: unknown kind %q", t.Name, t.Kind)
		}
		doc.Definitions = append(doc.Definitions, def)
	}
	dirs := s.Directives
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	for _, dr := range dirs {
		if builtinDirective[dr.Name] {
			continue
		}
		dd := &ast.DirectiveDefinition{Name: dr.Name, Description: dr.Description, Arguments: args(dr.Args)}
		for _, l := range dr.Locations {
			dd.Locations = append(dd.Locations, ast.DirectiveLocation(l))
		}
		doc.Directives = append(doc.Directives, dd)
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	return b.String(), nil
}

var builtinScalar = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

var builtinDirective = map[string]bool{"skip": true, "include": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true}

func args(in []introInput) ast.ArgumentDefinitionList {
	var out ast.ArgumentDefinitionList
	for _, a := range in {
		ad := &ast.ArgumentDefinition{Name: a.Name, Description: a.Description, Type: a.Type.ast()}
		if a.DefaultValue != nil {
			// The literal as the remote wrote it: printed back verbatim.
			ad.DefaultValue = &ast.Value{Kind: ast.EnumValue, Raw: *a.DefaultValue}
		}
		out = append(out, ad)
	}
	return out
}

func deprecated(is bool, reason *string) ast.DirectiveList {
	if !is {
		return nil
	}
	d := &ast.Directive{Name: "deprecated"}
	if reason != nil && *reason != "" {
		d.Arguments = ast.ArgumentList{{Name: "reason", Value: &ast.Value{Kind: ast.StringValue, Raw: *reason}}}
	}
	return ast.DirectiveList{d}
}

func (t typeRef) ast() *ast.Type {
	switch t.Kind {
	case "NON_NULL":
		if t.OfType == nil {
			return ast.NamedType("", nil)
		}
		in := t.OfType.ast()
		in.NonNull = true
		return in
	case "LIST":
		if t.OfType == nil {
			return ast.ListType(ast.NamedType("", nil), nil)
		}
		return ast.ListType(t.OfType.ast(), nil)
	}
	return ast.NamedType(t.Name, nil)
}
