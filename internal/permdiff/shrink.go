package permdiff

import (
	"context"
	"slices"
	"time"
)

// maxShrinkSteps and maxShrinkTime bound one shrink: each candidate is a
// request to both sides, and a large case can take a second.
const (
	maxShrinkSteps = 3000
	maxShrinkTime  = 3 * time.Minute
)

// Shrink returns d's case made as small as it can be while the two sides
// still differ in the same way: it tries, one at a time, every way of
// dropping one part of the query, keeps the first that still differs and
// starts again, until none does. Whole fields go first (each later check
// is cheaper for it), then where arguments, then order_by, limit, offset
// and distinct_on, then the details: where branches and comparisons,
// variables, fragments, aliases. The result's Original is d's case.
func (h *Harness) Shrink(ctx context.Context, d *Difference) *Difference {
	ctx, cancel := context.WithTimeout(ctx, maxShrinkTime)
	defer cancel()
	best := d
	for k, steps := 0, 0; steps < maxShrinkSteps && ctx.Err() == nil; steps++ {
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
	best.Original = d.Case
	return best
}

// The passes of a reduction walk, in the order their reductions are
// tried.
const (
	passFields = iota // root fields, fields, aggregate parts
	passWhere         // whole where arguments
	passArgs          // limit, offset, distinct_on, order_by keys
	passDetail        // where branches, comparisons, variables, fragments, aliases
	passes
)

// reducer applies the k-th of the reductions a walk of a query finds.
type reducer struct {
	k, n int
	role *Role
	pass int
}

// at reports whether the reduction being considered, of pass p, is the
// one to apply.
func (r *reducer) at(p int) bool {
	if r.pass != p {
		return false
	}
	r.n++
	return r.n-1 == r.k
}

// reduce applies the k-th reduction of q and reports whether there was
// one.
func reduce(q *Query, role *Role, k int) bool {
	r := &reducer{k: k, role: role}
	for r.pass = range passes {
		if len(q.Fields) > 1 {
			for i := range q.Fields {
				if r.at(passFields) {
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
	}
	return false
}

func (r *reducer) field(f *Field) bool {
	if f.Alias != "" && r.at(passDetail) {
		f.Alias = ""
		return true
	}
	if f.Kind == KindColumn {
		return false
	}
	for _, v := range f.PK {
		if v.Var && r.at(passDetail) {
			v.Var = false
			return true
		}
	}
	if r.args(f) {
		return true
	}
	if a := f.Agg; a != nil {
		switch {
		case a.Nodes != nil && a.HasAggregate() && r.at(passFields):
			a.Nodes = nil
			return true
		case a.Nodes != nil && a.HasAggregate() && r.at(passFields):
			a.Count, a.Ops = nil, nil
			return true
		case a.Count != nil && (len(a.Ops) > 0 || a.Nodes != nil) && r.at(passFields):
			a.Count = nil
			return true
		case a.Count != nil && a.Count.Column != "" && r.at(passDetail):
			a.Count.Column, a.Count.Distinct = "", false
			return true
		}
		for i, op := range a.Ops {
			if (len(a.Ops) > 1 || a.Count != nil || a.Nodes != nil) && r.at(passFields) {
				a.Ops = slices.Delete(a.Ops, i, i+1)
				return true
			}
			if len(op.Columns) > 1 {
				for j := range op.Columns {
					if r.at(passDetail) {
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
	if s.Frag != FragNone && r.at(passDetail) {
		s.Frag = FragNone
		return true
	}
	if len(s.Fields) > 1 {
		for i := range s.Fields {
			if r.at(passFields) {
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
		if r.at(passWhere) {
			a.Where = nil
			return true
		}
		if a.WhereVar && r.at(passDetail) {
			a.WhereVar = false
			return true
		}
		if r.pass == passDetail && r.boolExp(&a.Where) {
			return true
		}
	}
	if a.Limit != nil {
		if r.at(passArgs) {
			a.Limit = nil
			return true
		}
		if a.Limit.Var && r.at(passDetail) {
			a.Limit.Var = false
			return true
		}
	}
	if a.Offset != nil {
		if r.at(passArgs) {
			a.Offset = nil
			return true
		}
		if a.Offset.Var && r.at(passDetail) {
			a.Offset.Var = false
			return true
		}
	}
	if len(a.DistinctOn) > 0 && r.at(passArgs) {
		a.DistinctOn = nil
		return true
	}
	// The key at the end of order_by stays: without a total order the
	// rows a limit keeps are the database's choice. Dropping order_by
	// entirely is fine when nothing depends on the order.
	if len(a.OrderBy) > 0 && a.Limit == nil && a.Offset == nil && len(a.DistinctOn) == 0 && r.role.Limit(f.Table) == 0 && r.at(passArgs) {
		a.OrderBy = nil
		return true
	}
	for i := 0; i < len(a.OrderBy)-len(f.Table.PK); i++ {
		if r.at(passArgs) {
			a.OrderBy = slices.Delete(a.OrderBy, i, i+1)
			return true
		}
	}
	return false
}

// boolExp walks a where argument; every reduction in it is a detail.
func (r *reducer) boolExp(pp **BoolExp) bool {
	e := *pp
	switch e.Op {
	case BoolAnd, BoolOr, BoolObj, BoolNot:
		for _, c := range e.Children {
			if r.at(passDetail) {
				*pp = c
				return true
			}
		}
		if len(e.Children) > 1 {
			for i := range e.Children {
				if r.at(passDetail) {
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
				if r.at(passDetail) {
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
		if e.Sub.Op != BoolTrue && r.at(passDetail) {
			e.Sub = &BoolExp{Op: BoolTrue}
			return true
		}
		return r.boolExp(&e.Sub)
	case BoolAggCount:
		if e.Sub != nil {
			if r.at(passDetail) {
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
	if c.ListVar && r.at(passDetail) {
		c.ListVar = false
		return true
	}
	if len(c.Values) > 1 {
		for i := range c.Values {
			if r.at(passDetail) {
				c.Values = slices.Delete(c.Values, i, i+1)
				return true
			}
		}
	}
	for _, v := range append(slices.Clone(c.Values), c.Value) {
		if v == nil {
			continue
		}
		if v.Var && r.at(passDetail) {
			v.Var = false
			return true
		}
		if v.AsString && r.at(passDetail) {
			v.AsString = false
			return true
		}
	}
	return false
}
