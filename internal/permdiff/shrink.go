package permdiff

import (
	"context"
	"slices"
)

// maxShrinkSteps bounds the candidates one shrink tries: each is a
// request to both sides.
const maxShrinkSteps = 3000

// Shrink returns d's case made as small as it can be while the two sides
// still differ in the same way: it tries, one at a time, every way of
// dropping one part of the query (a root field, a field, a where clause
// or one of its branches, an order_by key, limit, offset, distinct_on, an
// aggregate, a variable or a fragment), keeps the first that still
// differs and starts again, until none does.
func (h *Harness) Shrink(ctx context.Context, d *Difference) *Difference {
	best := d
	steps := 0
	for k := 0; steps < maxShrinkSteps && ctx.Err() == nil; steps++ {
		q := best.Case.Query.Clone()
		if !reduce(q, best.Case.Role, k) {
			break
		}
		c := *best.Case
		c.Query = q
		nd, err := h.Check(ctx, &c)
		if err == nil && nd != nil && nd.Kind == d.Kind {
			best, k = nd, 0
			continue
		}
		k++
	}
	if best != d {
		best.Original = d.Case
	}
	return best
}

// reducer applies the k-th of the reductions a walk of a query finds.
type reducer struct {
	k, n int
	role *Role
}

// hit reports whether the reduction being considered is the one to
// apply.
func (r *reducer) hit() bool {
	r.n++
	return r.n-1 == r.k
}

// reduce applies the k-th reduction of q and reports whether there was
// one.
func reduce(q *Query, role *Role, k int) bool {
	r := &reducer{k: k, role: role}
	if len(q.Fields) > 1 {
		for i := range q.Fields {
			if r.hit() {
				q.Fields = slices.Delete(q.Fields, i, i+1)
				return true
			}
		}
	}
	for _, f := range q.Fields {
		if r.field(f) {
			return true
		}
	}
	return false
}

func (r *reducer) field(f *Field) bool {
	if f.Alias != "" && r.hit() {
		f.Alias = ""
		return true
	}
	if f.Kind == KindColumn {
		return false
	}
	for _, v := range f.PK {
		if v.Var && r.hit() {
			v.Var = false
			return true
		}
	}
	if r.args(f) {
		return true
	}
	if a := f.Agg; a != nil {
		switch {
		case a.Nodes != nil && a.HasAggregate() && r.hit():
			a.Nodes = nil
			return true
		case a.Nodes != nil && a.HasAggregate() && r.hit():
			a.Count, a.Ops = nil, nil
			return true
		case a.Count != nil && (len(a.Ops) > 0 || a.Nodes != nil) && r.hit():
			a.Count = nil
			return true
		case a.Count != nil && a.Count.Column != "" && r.hit():
			a.Count.Column, a.Count.Distinct = "", false
			return true
		}
		for i, op := range a.Ops {
			if (len(a.Ops) > 1 || a.Count != nil || a.Nodes != nil) && r.hit() {
				a.Ops = slices.Delete(a.Ops, i, i+1)
				return true
			}
			if len(op.Columns) > 1 {
				for j := range op.Columns {
					if r.hit() {
						op.Columns = slices.Delete(op.Columns, j, j+1)
						return true
					}
				}
			}
		}
		if a.Nodes != nil && r.selection(a.Nodes) {
			return true
		}
	}
	return f.Sel != nil && r.selection(f.Sel)
}

func (r *reducer) selection(s *Selection) bool {
	if s.Frag != FragNone && r.hit() {
		s.Frag = FragNone
		return true
	}
	if len(s.Fields) > 1 {
		for i := range s.Fields {
			if r.hit() {
				s.Fields = slices.Delete(s.Fields, i, i+1)
				return true
			}
		}
	}
	for _, f := range s.Fields {
		if r.field(f) {
			return true
		}
	}
	return false
}

func (r *reducer) args(f *Field) bool {
	a := &f.Args
	if a.Where != nil {
		if r.hit() {
			a.Where = nil
			return true
		}
		if a.WhereVar && r.hit() {
			a.WhereVar = false
			return true
		}
		if r.boolExp(&a.Where) {
			return true
		}
	}
	if a.Limit != nil {
		if r.hit() {
			a.Limit = nil
			return true
		}
		if a.Limit.Var && r.hit() {
			a.Limit.Var = false
			return true
		}
	}
	if a.Offset != nil {
		if r.hit() {
			a.Offset = nil
			return true
		}
		if a.Offset.Var && r.hit() {
			a.Offset.Var = false
			return true
		}
	}
	if len(a.DistinctOn) > 0 && r.hit() {
		a.DistinctOn = nil
		return true
	}
	// The key at the end of order_by stays: without a total order the
	// rows a limit keeps are the database's choice. Dropping order_by
	// entirely is fine when nothing depends on the order.
	if len(a.OrderBy) > 0 && a.Limit == nil && a.Offset == nil && len(a.DistinctOn) == 0 && r.role.Limit(f.Table) == 0 && r.hit() {
		a.OrderBy = nil
		return true
	}
	for i := 0; i < len(a.OrderBy)-len(f.Table.PK); i++ {
		if r.hit() {
			a.OrderBy = slices.Delete(a.OrderBy, i, i+1)
			return true
		}
	}
	return false
}

func (r *reducer) boolExp(pp **BoolExp) bool {
	e := *pp
	switch e.Op {
	case BoolAnd, BoolOr, BoolObj, BoolNot:
		for _, c := range e.Children {
			if r.hit() {
				*pp = c
				return true
			}
		}
		if len(e.Children) > 1 {
			for i := range e.Children {
				if r.hit() {
					e.Children = slices.Delete(e.Children, i, i+1)
					return true
				}
			}
		}
		for i := range e.Children {
			if r.boolExp(&e.Children[i]) {
				return true
			}
		}
	case BoolCol:
		if len(e.Cmps) > 1 {
			for i := range e.Cmps {
				if r.hit() {
					e.Cmps = slices.Delete(e.Cmps, i, i+1)
					return true
				}
			}
		}
		for _, c := range e.Cmps {
			if r.cmp(c) {
				return true
			}
		}
	case BoolRel:
		if e.Sub.Op != BoolTrue && r.hit() {
			e.Sub = &BoolExp{Op: BoolTrue}
			return true
		}
		return r.boolExp(&e.Sub)
	case BoolAggCount:
		if e.Sub != nil {
			if r.hit() {
				e.Sub = nil
				return true
			}
			if r.boolExp(&e.Sub) {
				return true
			}
		}
		return r.cmp(e.Pred)
	}
	return false
}

func (r *reducer) cmp(c *Cmp) bool {
	if c.ListVar && r.hit() {
		c.ListVar = false
		return true
	}
	if len(c.Values) > 1 {
		for i := range c.Values {
			if r.hit() {
				c.Values = slices.Delete(c.Values, i, i+1)
				return true
			}
		}
	}
	for _, v := range append(slices.Clone(c.Values), c.Value) {
		if v == nil {
			continue
		}
		if v.Var && r.hit() {
			v.Var = false
			return true
		}
		if v.AsString && r.hit() {
			v.AsString = false
			return true
		}
	}
	return false
}
