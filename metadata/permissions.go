package metadata

import (
	"fmt"
	"sort"
	"strings"
)

// permissionKinds reads the four permission lists of a table.
func (v *validator) permissionKinds(e *entry) {
	for _, f := range e.fields {
		switch f.key {
		case "select_permissions", "insert_permissions", "update_permissions", "delete_permissions":
			v.permissions(e.t, f, strings.TrimSuffix(f.key, "_permissions"))
		}
	}
}

// permissions reads one permission list: kind is select, insert, update or
// delete.
func (v *validator) permissions(t *Table, f field, kind string) {
	ctx := "table " + t.QualifiedName()
	items, _ := v.seq(f.val, ctx, f.key)
	seen := map[string]Pos{}
	for _, it := range items {
		fields, ok := v.mapping(it, ctx, "a "+kind+" permission")
		if !ok {
			continue
		}
		pos := v.deref(it).pos()
		var role, comment string
		var rolePos Pos
		var perm *field
		hasRole := false
		for i, pf := range fields {
			switch pf.key {
			case "role":
				hasRole = true
				role, _ = v.name(pf.val, ctx, "role")
				rolePos = v.deref(pf.val).pos()
			case "permission":
				perm = &fields[i]
			case "comment":
				comment, _ = v.str(pf.val, ctx, "comment")
			default:
				v.errorf(pf.keyPos, ctx, "unknown key %q in a %s permission", pf.key, kind)
			}
		}
		if role == "" {
			if !hasRole {
				v.errorf(pos, ctx, "the %s permission has no role", kind)
			}
			continue
		}
		pctx := fmt.Sprintf("%s permission for role %q", kind, role)
		if role == "admin" {
			v.errorf(rolePos, pctx, "the admin role always has every permission; it cannot be given one")
			continue
		}
		if first, dup := seen[role]; dup {
			v.errorf(rolePos, pctx, "role %q already has a %s permission on %s (at %s)", role, kind, t.QualifiedName(), first)
			continue
		}
		seen[role] = rolePos
		if perm == nil {
			v.errorf(pos, pctx, "permission is required")
			continue
		}
		switch kind {
		case "select":
			if p := v.selectPermission(t, perm.val, pctx); p != nil {
				p.Pos, p.Role, p.Comment = pos, role, comment
				t.SelectPermissions = append(t.SelectPermissions, p)
			}
		case "insert":
			if p := v.insertPermission(t, perm.val, pctx); p != nil {
				p.Pos, p.Role, p.Comment = pos, role, comment
				t.InsertPermissions = append(t.InsertPermissions, p)
			}
		case "update":
			if p := v.updatePermission(t, perm.val, pctx); p != nil {
				p.Pos, p.Role, p.Comment = pos, role, comment
				t.UpdatePermissions = append(t.UpdatePermissions, p)
			}
		case "delete":
			if p := v.deletePermission(t, perm.val, pctx); p != nil {
				p.Pos, p.Role, p.Comment = pos, role, comment
				t.DeletePermissions = append(t.DeletePermissions, p)
			}
		}
	}
}

// required reports the keys of want that fields lacks.
func (v *validator) required(fields []field, at Pos, ctx string, want ...string) {
	for _, k := range want {
		if !hasKey(fields, k) {
			v.errorf(at, ctx, "%s is required", k)
		}
	}
}

func (v *validator) selectPermission(t *Table, x ynode, ctx string) *SelectPermission {
	fields, ok := v.mapping(x, ctx, "permission")
	if !ok {
		return nil
	}
	all := RootFieldSet{Select: true, SelectByPk: true, SelectAggregate: true, SelectStream: true}
	p := &SelectPermission{Limit: -1, QueryRootFields: all, SubscriptionRootFields: all}
	p.QueryRootFields.SelectStream = false
	for _, f := range fields {
		switch f.key {
		case "columns":
			p.Columns, p.AllColumns = v.permColumns(t, f.val, ctx)
		case "filter":
			p.Filter = v.filter(t, f.val, ctx, "filter")
		case "limit":
			if n, ok := v.count(f.val, ctx, "limit"); ok {
				p.Limit = n
			}
		case "allow_aggregations":
			p.AllowAggregations, _ = v.boolean(f.val, ctx, "allow_aggregations")
		case "computed_fields":
			items, _ := v.seq(f.val, ctx, "computed_fields")
			for _, it := range items {
				name, ok := v.name(it, ctx, "a computed field name")
				if !ok {
					continue
				}
				if !hasComputedField(t, name) {
					v.errorf(v.deref(it).pos(), ctx, "computed field %q is not defined on %s", name, t.QualifiedName())
					continue
				}
				p.ComputedFields = append(p.ComputedFields, name)
			}
		case "query_root_fields":
			p.QueryRootFields = v.rootFieldSet(f.val, ctx, f.key, false)
		case "subscription_root_fields":
			p.SubscriptionRootFields = v.rootFieldSet(f.val, ctx, f.key, true)
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in a select permission", f.key)
		}
	}
	v.required(fields, v.deref(x).pos(), ctx, "columns", "filter")
	return p
}

func hasComputedField(t *Table, name string) bool {
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return true
		}
	}
	return false
}

func (v *validator) rootFieldSet(x ynode, ctx, what string, subscription bool) RootFieldSet {
	var set RootFieldSet
	items, _ := v.seq(x, ctx, what)
	for _, it := range items {
		name, ok := v.str(it, ctx, "a root field")
		if !ok {
			continue
		}
		switch {
		case name == "select":
			set.Select = true
		case name == "select_by_pk":
			set.SelectByPk = true
		case name == "select_aggregate":
			set.SelectAggregate = true
		case name == "select_stream" && subscription:
			set.SelectStream = true
		default:
			valid := "select, select_by_pk, select_aggregate"
			if subscription {
				valid += ", select_stream"
			}
			v.errorf(v.deref(it).pos(), ctx, "%s: unknown root field %q (valid: %s)", what, name, valid)
		}
	}
	return set
}

func (v *validator) insertPermission(t *Table, x ynode, ctx string) *InsertPermission {
	fields, ok := v.mapping(x, ctx, "permission")
	if !ok {
		return nil
	}
	p := &InsertPermission{}
	hasColumns := false
	for _, f := range fields {
		switch f.key {
		case "check":
			p.Check = v.filter(t, f.val, ctx, "check")
		case "set":
			p.Set = v.presets(t, f.val, ctx)
		case "columns":
			hasColumns = true
			p.Columns, p.AllColumns = v.permColumns(t, f.val, ctx)
		case "backend_only":
			p.BackendOnly, _ = v.boolean(f.val, ctx, "backend_only")
		case "validate_input":
			p.ValidateInput = v.validateInput(f.val, ctx)
			if p.ValidateInput != nil {
				v.unsupportedf(f.keyPos, ctx, "validate_input")
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in an insert permission", f.key)
		}
	}
	if !hasColumns {
		// Hasura reads an absent columns as every column.
		p.Columns, p.AllColumns = columnNamesOf(t), true
	}
	v.required(fields, v.deref(x).pos(), ctx, "check")
	return p
}

func (v *validator) updatePermission(t *Table, x ynode, ctx string) *UpdatePermission {
	fields, ok := v.mapping(x, ctx, "permission")
	if !ok {
		return nil
	}
	p := &UpdatePermission{}
	for _, f := range fields {
		switch f.key {
		case "columns":
			p.Columns, p.AllColumns = v.permColumns(t, f.val, ctx)
		case "filter":
			p.Filter = v.filter(t, f.val, ctx, "filter")
		case "check":
			if !v.isNull(f.val) {
				p.Check = v.filter(t, f.val, ctx, "check")
			}
		case "set":
			p.Set = v.presets(t, f.val, ctx)
		case "backend_only":
			p.BackendOnly, _ = v.boolean(f.val, ctx, "backend_only")
		case "validate_input":
			p.ValidateInput = v.validateInput(f.val, ctx)
			if p.ValidateInput != nil {
				v.unsupportedf(f.keyPos, ctx, "validate_input")
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in an update permission", f.key)
		}
	}
	v.required(fields, v.deref(x).pos(), ctx, "columns", "filter")
	return p
}

func (v *validator) deletePermission(t *Table, x ynode, ctx string) *DeletePermission {
	fields, ok := v.mapping(x, ctx, "permission")
	if !ok {
		return nil
	}
	p := &DeletePermission{}
	for _, f := range fields {
		switch f.key {
		case "filter":
			p.Filter = v.filter(t, f.val, ctx, "filter")
		case "backend_only":
			p.BackendOnly, _ = v.boolean(f.val, ctx, "backend_only")
		case "validate_input":
			p.ValidateInput = v.validateInput(f.val, ctx)
			if p.ValidateInput != nil {
				v.unsupportedf(f.keyPos, ctx, "validate_input")
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in a delete permission", f.key)
		}
	}
	v.required(fields, v.deref(x).pos(), ctx, "filter")
	return p
}

func columnNamesOf(t *Table) []string {
	names := make([]string, len(t.def.Columns))
	for i, c := range t.def.Columns {
		names[i] = c.Name
	}
	return names
}

// permColumns reads columns: '*' or a list of column names, returned in
// table column order.
func (v *validator) permColumns(t *Table, x ynode, ctx string) ([]string, bool) {
	d := v.deref(x)
	if d.bad {
		return nil, false
	}
	const want = `"*" or a list of column names`
	if isString(d) {
		if s, _ := v.str(d, ctx, "columns"); s == "*" {
			return columnNamesOf(t), true
		}
		v.typeError(d, ctx, "columns", want)
		return nil, false
	}
	if !isList(d) {
		v.typeError(d, ctx, "columns", want)
		return nil, false
	}
	items, _ := v.seq(d, ctx, "columns")
	chosen := map[string]bool{}
	for _, it := range items {
		name, ok := v.name(it, ctx, "a column name")
		if !ok {
			continue
		}
		if t.def.Column(name) == nil {
			v.errorf(v.deref(it).pos(), ctx, "column %q is not in %s", name, t.QualifiedName())
			continue
		}
		chosen[name] = true
	}
	cols := []string{}
	for _, c := range t.def.Columns {
		if chosen[c.Name] {
			cols = append(cols, c.Name)
		}
	}
	return cols, false
}

// presets reads set: column → literal or session variable.
func (v *validator) presets(t *Table, x ynode, ctx string) []*Preset {
	fields, _ := v.mapping(x, ctx, "set")
	var out []*Preset
	for _, f := range fields {
		col := t.def.Column(f.key)
		if col == nil {
			v.errorf(f.keyPos, ctx, "column %q in set is not in %s", f.key, t.QualifiedName())
			continue
		}
		what := fmt.Sprintf("set value for column %q (%s)", col.Name, typeName(col.Type))
		val := v.value(f.val, col.Type, ctx, what, true)
		if val == nil {
			continue
		}
		out = append(out, &Preset{Pos: f.keyPos, Column: col.Name, Type: col.Type, Value: val})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return t.def.Column(out[i].Column).Position < t.def.Column(out[j].Column).Position
	})
	return out
}

func (v *validator) validateInput(x ynode, ctx string) *ValidateInput {
	fields, ok := v.mapping(x, ctx, "validate_input")
	if !ok {
		return nil
	}
	vi := &ValidateInput{Pos: v.deref(x).pos()}
	for _, f := range fields {
		switch f.key {
		case "type":
			vi.Type, _ = v.str(f.val, ctx, "validate_input.type")
			if vi.Type != "" && vi.Type != "http" {
				v.errorf(v.deref(f.val).pos(), ctx, "validate_input.type must be http, not %q", vi.Type)
			}
		case "definition":
			dfields, _ := v.mapping(f.val, ctx, "validate_input.definition")
			for _, d := range dfields {
				switch d.key {
				case "url":
					if isMapping(v.deref(d.val)) {
						uf, _ := v.mapping(d.val, ctx, "url")
						for _, u := range uf {
							if u.key != "from_env" {
								v.errorf(u.keyPos, ctx, "unknown key %q in url", u.key)
								continue
							}
							vi.URLFromEnv, _ = v.str(u.val, ctx, "url.from_env")
						}
					} else {
						vi.URL, _ = v.str(d.val, ctx, "url")
					}
				case "headers":
					items, _ := v.seq(d.val, ctx, "headers")
					for _, it := range items {
						hf, _ := v.mapping(it, ctx, "a header")
						var h Header
						for _, k := range hf {
							switch k.key {
							case "name":
								h.Name, _ = v.str(k.val, ctx, "header name")
							case "value":
								h.Value, _ = v.str(k.val, ctx, "header value")
							case "value_from_env":
								h.ValueFromEnv, _ = v.str(k.val, ctx, "header value_from_env")
							default:
								v.errorf(k.keyPos, ctx, "unknown key %q in a header", k.key)
							}
						}
						vi.Headers = append(vi.Headers, h)
					}
				case "forward_client_headers":
					vi.ForwardClientHeaders, _ = v.boolean(d.val, ctx, "forward_client_headers")
				case "timeout":
					vi.Timeout, _ = v.count(d.val, ctx, "timeout")
				default:
					v.errorf(d.keyPos, ctx, "unknown key %q in validate_input.definition", d.key)
				}
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in validate_input", f.key)
		}
	}
	return vi
}
