package remotetest

import (
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
)

// introspection is the __schema value of s as plain values.
func introspection(s *ast.Schema) map[string]any {
	var names []string
	for n := range s.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	var types []any
	for _, n := range names {
		types = append(types, typeInfo(s, s.Types[n]))
	}
	root := func(d *ast.Definition) any {
		if d == nil {
			return nil
		}
		return typeInfo(s, d)
	}
	var dirs []any
	for _, d := range s.Directives {
		var locs []any
		for _, l := range d.Locations {
			locs = append(locs, string(l))
		}
		dirs = append(dirs, map[string]any{"name": d.Name, "description": d.Description, "locations": locs, "args": inputs(s, d.Arguments), "isRepeatable": d.IsRepeatable})
	}
	return map[string]any{"queryType": root(s.Query), "mutationType": root(s.Mutation), "subscriptionType": root(s.Subscription),
		"types": types, "directives": dirs, "description": s.Description}
}

func desc(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func typeInfo(s *ast.Schema, d *ast.Definition) map[string]any {
	if d == nil {
		return nil
	}
	kind := map[ast.DefinitionKind]string{ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE", ast.Union: "UNION",
		ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT"}[d.Kind]
	t := map[string]any{"kind": kind, "name": d.Name, "description": desc(d.Description), "fields": nil, "inputFields": nil,
		"interfaces": nil, "enumValues": nil, "possibleTypes": nil, "ofType": nil, "specifiedByURL": nil}
	switch d.Kind {
	case ast.Object, ast.Interface:
		var fields []any
		for _, f := range d.Fields {
			if f.Name == "__schema" || f.Name == "__type" || f.Name == "__typename" {
				continue
			}
			dep := f.Directives.ForName("deprecated")
			var reason any
			if dep != nil {
				if a := dep.Arguments.ForName("reason"); a != nil {
					reason = a.Value.Raw
				}
			}
			fields = append(fields, map[string]any{"name": f.Name, "description": desc(f.Description), "args": inputs(s, f.Arguments),
				"type": typeRef(s, f.Type), "isDeprecated": dep != nil, "deprecationReason": reason})
		}
		t["fields"] = fields
		ifs := []any{}
		for _, i := range d.Interfaces {
			ifs = append(ifs, typeInfo(s, s.Types[i]))
		}
		t["interfaces"] = ifs
		if d.Kind == ast.Interface {
			var pt []any
			for _, p := range s.GetPossibleTypes(d) {
				pt = append(pt, map[string]any{"kind": "OBJECT", "name": p.Name, "ofType": nil})
			}
			t["possibleTypes"] = pt
		}
	case ast.Union:
		var pt []any
		for _, p := range d.Types {
			pt = append(pt, map[string]any{"kind": "OBJECT", "name": p, "ofType": nil})
		}
		t["possibleTypes"] = pt
	case ast.Enum:
		var vs []any
		for _, v := range d.EnumValues {
			vs = append(vs, map[string]any{"name": v.Name, "description": desc(v.Description), "isDeprecated": false, "deprecationReason": nil})
		}
		t["enumValues"] = vs
	case ast.InputObject:
		var fs ast.ArgumentDefinitionList
		for _, f := range d.Fields {
			fs = append(fs, &ast.ArgumentDefinition{Name: f.Name, Description: f.Description, Type: f.Type, DefaultValue: f.DefaultValue})
		}
		t["inputFields"] = inputs(s, fs)
	}
	return t
}

func inputs(s *ast.Schema, args ast.ArgumentDefinitionList) []any {
	out := []any{}
	for _, a := range args {
		var def any
		if a.DefaultValue != nil {
			def = a.DefaultValue.String()
		}
		out = append(out, map[string]any{"name": a.Name, "description": desc(a.Description), "type": typeRef(s, a.Type), "defaultValue": def})
	}
	return out
}

func typeRef(s *ast.Schema, t *ast.Type) map[string]any {
	if t.NonNull {
		c := *t
		c.NonNull = false
		return map[string]any{"kind": "NON_NULL", "name": nil, "ofType": typeRef(s, &c)}
	}
	if t.Elem != nil {
		return map[string]any{"kind": "LIST", "name": nil, "ofType": typeRef(s, t.Elem)}
	}
	kind := "SCALAR"
	if d := s.Types[t.NamedType]; d != nil {
		kind = map[ast.DefinitionKind]string{ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE", ast.Union: "UNION",
			ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT"}[d.Kind]
	}
	return map[string]any{"kind": kind, "name": t.NamedType, "ofType": nil}
}
