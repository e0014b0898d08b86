package metadata

// Inherited roles (Hasura's inherited_roles.yaml): a role whose
// permissions are derived from a set of parent roles, as Hasura v2
// derives them (Hasura.RQL.DDL.Schema.Cache.Permission and
// Hasura.RQL.Types.Roles.Internal):
//
//   - select: the union of the parents' select permissions. Rows: the
//     parents' filters OR-ed. Columns: every column some parent grants;
//     a column not granted by every parent is shown only in the rows of
//     the parents that grant it, NULL elsewhere (cell semantics:
//     SelectPermission.ColumnFilters). Limit: the largest of the parents'
//     limits (none when no parent has one). Aggregations: when any parent
//     allows them.
//   - insert, update, delete: inherited when every parent that has the
//     permission has the same one; parents that differ are a conflict,
//     which the inherited role must settle with a permission of its own.
//   - a permission written for the inherited role itself overrides the
//     derived one, table by table and kind by kind.
//
// Parents may be inherited roles themselves (Hasura v2.0.3 and later);
// cycles are refused.

import (
	"fmt"
	"sort"
	"strings"
)

// Where they come from: inherited_roles.yaml of a metadata directory, or
// inherited_roles of a metadata export (projectKey collects them into
// Metadata.InheritedRoles); load checks and applies them once the tables
// are read (inheritRoles).

// InheritedRole is an entry of inherited_roles.yaml.
type InheritedRole struct {
	// Pos is where the entry starts.
	Pos Pos
	// Name is the inherited role (role_name).
	Name string
	// RoleSet are its parent roles, in file order.
	RoleSet []string
	// RolePos are where each parent is named.
	RolePos []Pos
}

// inheritedRoleList reads a list of {role_name, role_set}: the content of
// inherited_roles.yaml, or of a metadata export's inherited_roles.
func (l *loader) inheritedRoleList(x ynode) []*InheritedRole {
	if l.isNull(x) {
		return nil
	}
	items, ok := l.seq(x, "inherited_roles", "inherited_roles")
	if !ok {
		return nil
	}
	var out []*InheritedRole
	for _, it := range items {
		fields, ok := l.mapping(it, "inherited_roles", "an inherited role")
		if !ok {
			continue
		}
		r := &InheritedRole{Pos: l.deref(it).pos()}
		hasSet := false
		for _, fl := range fields {
			switch fl.key {
			case "role_name":
				r.Name, _ = l.name(fl.val, "inherited role", "role_name")
			case "role_set":
				hasSet = true
				roles, ok := l.seq(fl.val, "inherited role", "role_set")
				if !ok {
					continue
				}
				for _, rx := range roles {
					if s, ok := l.name(rx, "inherited role", "a role of role_set"); ok {
						r.RoleSet = append(r.RoleSet, s)
						r.RolePos = append(r.RolePos, l.deref(rx).pos())
					}
				}
			default:
				l.errorf(fl.keyPos, "", "inherited_roles: %s is not a key of an inherited role (role_name, role_set)", fl.key)
			}
		}
		if r.Name == "" {
			if !hasKey(fields, "role_name") {
				l.errorf(r.Pos, "", "inherited_roles: an inherited role needs a role_name")
			}
			continue
		}
		if !hasSet || len(r.RoleSet) == 0 {
			l.errorf(r.Pos, "", "inherited role %q: role_set must name at least one role", r.Name)
			continue
		}
		out = append(out, r)
	}
	return out
}

// inheritRoles checks the inherited roles against the permissions of m
// and adds each one's derived permissions to m's tables. Problems are
// reported on l; m is left as it is when there are any.
func (l *loader) inheritRoles(m *Metadata, roles []*InheritedRole) {
	m.InheritedRoles = nil
	if len(roles) == 0 {
		return
	}
	// After problems in the tables, a parent's permissions may be
	// missing for want of being valid: only the roles' own shape is
	// checked then.
	errs := len(l.errs)
	prior := errs > 0
	declared := map[string]bool{}
	for _, r := range m.Roles() {
		declared[r] = true
	}
	byName := map[string]*InheritedRole{}
	var ok []*InheritedRole
	for _, r := range roles {
		switch {
		case r.Name == "admin":
			l.errorf(r.Pos, "", "inherited role %q: admin cannot be an inherited role", r.Name)
			continue
		case byName[r.Name] != nil:
			l.errorf(r.Pos, "", "inherited role %q is defined twice (first at %s)", r.Name, byName[r.Name].Pos)
			continue
		}
		byName[r.Name] = r
		ok = append(ok, r)
	}
	for _, r := range ok {
		seen := map[string]bool{}
		for i, p := range r.RoleSet {
			switch {
			case p == "admin":
				l.errorf(r.RolePos[i], "", "inherited role %q: admin cannot be in a role_set", r.Name)
			case seen[p]:
				l.errorf(r.RolePos[i], "", "inherited role %q: role %q is in role_set twice", r.Name, p)
			case !declared[p] && byName[p] == nil && !prior:
				l.errorf(r.RolePos[i], "", "inherited role %q: role %q has no permission on any table and is not an inherited role", r.Name, p)
			}
			seen[p] = true
		}
	}
	order, cycles := orderRoles(ok, byName)
	for _, c := range cycles {
		l.errorf(byName[c[0]].Pos, "", "found cycle(s) in roles: %s", strings.Join(c, " → "))
	}
	if len(l.errs) > 0 {
		return
	}
	for _, r := range order {
		for _, t := range m.Tables {
			l.inheritTable(t, r)
		}
		inheritFunctions(m, r)
	}
	m.InheritedRoles = ok
}

// orderRoles sorts the inherited roles parents first, and returns the
// cycles found, each as the roles on it with the first repeated at the
// end.
func orderRoles(roles []*InheritedRole, byName map[string]*InheritedRole) (order []*InheritedRole, cycles [][]string) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(r *InheritedRole)
	visit = func(r *InheritedRole) {
		state[r.Name] = active
		stack = append(stack, r.Name)
		for _, p := range r.RoleSet {
			pr := byName[p]
			if pr == nil {
				continue
			}
			switch state[p] {
			case unseen:
				visit(pr)
			case active:
				i := len(stack) - 1
				for stack[i] != p {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), p)
				cycles = append(cycles, cycle)
			}
		}
		stack = stack[:len(stack)-1]
		state[r.Name] = done
		order = append(order, r)
	}
	for _, r := range roles {
		if state[r.Name] == unseen {
			visit(r)
		}
	}
	return order, cycles
}

// inheritTable adds role r's permissions on t, derived from its parents'
// (already derived when they are inherited), where r has none of its own.
func (l *loader) inheritTable(t *Table, r *InheritedRole) {
	if t.SelectPermission(r.Name) == nil {
		var parents []*SelectPermission
		for _, p := range r.RoleSet {
			if sp := t.SelectPermission(p); sp != nil {
				parents = append(parents, sp)
			}
		}
		if len(parents) > 0 {
			t.SelectPermissions = append(t.SelectPermissions, unionSelect(t, r, parents))
		}
	}
	conflict := func(kind string, a, b string) {
		article := "an"
		if kind == "delete" {
			article = "a"
		}
		l.errorf(r.Pos, "", "inherited role %q: roles %q and %q have different %s permissions on table %s; give %q %s %s permission of its own on it, as Hasura requires",
			r.Name, a, b, kind, t.QualifiedName(), r.Name, article, kind)
	}
	if t.InsertPermission(r.Name) == nil {
		if p, a, b := same(r.RoleSet, t.InsertPermission, insertKey); b != "" {
			conflict("insert", a, b)
		} else if p != nil {
			cp := *p
			cp.Role, cp.Pos, cp.Comment = r.Name, r.Pos, "inherited from "+a
			t.InsertPermissions = append(t.InsertPermissions, &cp)
		}
	}
	if t.UpdatePermission(r.Name) == nil {
		if p, a, b := same(r.RoleSet, t.UpdatePermission, updateKey); b != "" {
			conflict("update", a, b)
		} else if p != nil {
			cp := *p
			cp.Role, cp.Pos, cp.Comment = r.Name, r.Pos, "inherited from "+a
			t.UpdatePermissions = append(t.UpdatePermissions, &cp)
		}
	}
	if t.DeletePermission(r.Name) == nil {
		if p, a, b := same(r.RoleSet, t.DeletePermission, deleteKey); b != "" {
			conflict("delete", a, b)
		} else if p != nil {
			cp := *p
			cp.Role, cp.Pos, cp.Comment = r.Name, r.Pos, "inherited from "+a
			t.DeletePermissions = append(t.DeletePermissions, &cp)
		}
	}
}

// same returns the permission the parents that have one agree on, and
// the first parent that has it; when two differ, it returns their names
// (b not empty).
func same[P any](parents []string, get func(string) *P, key func(*P) string) (p *P, a, b string) {
	k := ""
	for _, role := range parents {
		q := get(role)
		if q == nil {
			continue
		}
		if p == nil {
			p, a, k = q, role, key(q)
			continue
		}
		if key(q) != k {
			return nil, a, role
		}
	}
	return p, a, ""
}

// The keys of mutation permissions compare what Hasura compares (its
// OnlyRelevantEq): columns, filters and checks, presets, backend_only;
// not comments or positions.
func insertKey(p *InsertPermission) string {
	return fmt.Sprint(p.Columns, "|", expString(p.Check), "|", presetsKey(p.Set), "|", p.BackendOnly)
}

func updateKey(p *UpdatePermission) string {
	return fmt.Sprint(p.Columns, "|", expString(p.Filter), "|", expString(p.Check), "|", presetsKey(p.Set), "|", p.BackendOnly)
}

func deleteKey(p *DeletePermission) string {
	return fmt.Sprint(expString(p.Filter), "|", p.BackendOnly)
}

func expString(e BoolExp) string {
	if e == nil {
		return "{}"
	}
	return e.String()
}

func presetsKey(set []*Preset) string {
	parts := make([]string, len(set))
	for i, p := range set {
		v := "null"
		switch x := p.Value.(type) {
		case *Literal:
			v = x.String()
		case *SessionVar:
			v = x.String()
		}
		parts[i] = p.Column + "=" + v
	}
	return strings.Join(parts, ",")
}

// unionSelect is the select permission role r inherits on t from the
// parents' select permissions.
func unionSelect(t *Table, r *InheritedRole, parents []*SelectPermission) *SelectPermission {
	var names []string
	for _, p := range parents {
		names = append(names, p.Role)
	}
	u := &SelectPermission{Pos: r.Pos, Role: r.Name, Comment: "inherited from " + strings.Join(names, ", "), Limit: -1}
	filters := make([]BoolExp, len(parents))
	for i, p := range parents {
		filters[i] = p.Filter
		if p.Limit > u.Limit {
			u.Limit = p.Limit
		}
		u.AllowAggregations = u.AllowAggregations || p.AllowAggregations
		u.QueryRootFields = orRoots(u.QueryRootFields, p.QueryRootFields)
		u.SubscriptionRootFields = orRoots(u.SubscriptionRootFields, p.SubscriptionRootFields)
	}
	u.Filter = anyOf(r.Pos, filters)
	// Columns in table order, each with the condition under which its
	// value shows.
	grants := map[string][]BoolExp{}
	restricted := map[string]bool{}
	computed := map[string]bool{}
	for _, p := range parents {
		granted := map[string]bool{}
		for _, c := range p.Columns {
			granted[c] = true
			cond := p.Filter
			if cf, ok := p.ColumnFilters[c]; ok {
				cond = cf
				restricted[c] = true
			}
			grants[c] = append(grants[c], cond)
		}
		u.AllColumns = u.AllColumns || p.AllColumns
		for _, cf := range p.ComputedFields {
			computed[cf] = true
		}
	}
	for _, c := range t.columnOrder() {
		conds, ok := grants[c]
		if !ok {
			continue
		}
		u.Columns = append(u.Columns, c)
		if len(conds) < len(parents) || restricted[c] {
			if u.ColumnFilters == nil {
				u.ColumnFilters = map[string]BoolExp{}
			}
			u.ColumnFilters[c] = anyOf(r.Pos, conds)
		}
	}
	for cf := range computed {
		u.ComputedFields = append(u.ComputedFields, cf)
	}
	sort.Strings(u.ComputedFields)
	return u
}

// anyOf is the disjunction of es, at pos: one of them alone, or true ({})
// when one is true.
func anyOf(pos Pos, es []BoolExp) BoolExp {
	for _, e := range es {
		if isTrueExp(e) {
			return &And{}
		}
	}
	if len(es) == 1 {
		return es[0]
	}
	return &Or{Pos: pos, Exprs: append([]BoolExp(nil), es...)}
}

// isTrueExp reports an expression that holds for every row: nil or {}.
func isTrueExp(e BoolExp) bool {
	a, ok := e.(*And)
	return e == nil || (ok && len(a.Exprs) == 0)
}

func orRoots(a, b RootFieldSet) RootFieldSet {
	return RootFieldSet{
		Select: a.Select || b.Select, SelectByPk: a.SelectByPk || b.SelectByPk,
		SelectAggregate: a.SelectAggregate || b.SelectAggregate, SelectStream: a.SelectStream || b.SelectStream,
	}
}

// columnOrder lists the table's column names in table order.
func (t *Table) columnOrder() []string {
	if t.def == nil {
		return nil
	}
	out := make([]string, len(t.def.Columns))
	for i, c := range t.def.Columns {
		out[i] = c.Name
	}
	return out
}
