package permdiff

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Request is a GraphQL request: a document and its variables.
type Request struct {
	Query     string          `json:"query"`
	Variables json.RawMessage `json:"variables,omitempty"`
}

// Render writes q as a GraphQL document with its variables.
func Render(q *Query) Request {
	r := &renderer{}
	var body strings.Builder
	for _, f := range q.Fields {
		r.field(&body, f, 1)
	}
	var doc strings.Builder
	doc.WriteString("query permdiff")
	if len(r.vars) > 0 {
		doc.WriteString("(")
		for i, v := range r.vars {
			if i > 0 {
				doc.WriteString(", ")
			}
			fmt.Fprintf(&doc, "$%s: %s", v.name, v.typ)
		}
		doc.WriteString(")")
	}
	doc.WriteString(" {\n")
	doc.WriteString(body.String())
	doc.WriteString("}\n")
	for _, f := range r.frags {
		doc.WriteString(f)
	}
	req := Request{Query: doc.String()}
	if len(r.vars) > 0 {
		var vb strings.Builder
		vb.WriteString("{")
		for i, v := range r.vars {
			if i > 0 {
				vb.WriteString(", ")
			}
			k, _ := json.Marshal(v.name)
			vb.Write(k)
			vb.WriteString(": ")
			writeJSON(&vb, v.value)
		}
		vb.WriteString("}")
		req.Variables = json.RawMessage(vb.String())
	}
	return req
}

// A gql value is written either as a GraphQL literal or, inside a
// variable's value, as JSON; the tree keeps object keys in order.
type (
	gObj []gKV
	gKV  struct {
		k string
		v any
	}
	gList   []any
	gScalar struct {
		lit  string // GraphQL literal
		json string // JSON text
	}
	gEnum string
	gVar  string
)

type varDecl struct {
	name, typ string
	value     any
}

type renderer struct {
	vars  []varDecl
	frags []string
	nfrag int
}

func (r *renderer) variable(typ string, value any) gVar {
	name := "v" + strconv.Itoa(len(r.vars)+1)
	r.vars = append(r.vars, varDecl{name: name, typ: typ, value: value})
	return gVar(name)
}

func indent(n int) string { return strings.Repeat("  ", n) }

func (r *renderer) field(w *strings.Builder, f *Field, depth int) {
	w.WriteString(indent(depth))
	if f.Alias != "" {
		w.WriteString(f.Alias + ": ")
	}
	w.WriteString(f.Name())
	switch f.Kind {
	case KindColumn:
		w.WriteString("\n")
		return
	case KindByPk:
		var args gObj
		for i, pk := range f.Table.PK {
			v := f.PK[i]
			if v.Var {
				args = append(args, gKV{pk, r.variable(v.Type.GraphQL()+"!", scalar(v).json)})
			} else {
				args = append(args, gKV{pk, scalar(v)})
			}
		}
		w.WriteString(argList(args))
	case KindList, KindAggregate:
		w.WriteString(argList(r.args(f)))
	}
	w.WriteString(" {\n")
	switch f.Kind {
	case KindAggregate:
		r.aggregate(w, f, depth+1)
	default:
		r.selection(w, f.Table, f.Sel, depth+1)
	}
	w.WriteString(indent(depth) + "}\n")
}

func (r *renderer) aggregate(w *strings.Builder, f *Field, depth int) {
	a := f.Agg
	if a.HasAggregate() {
		w.WriteString(indent(depth) + "aggregate {\n")
		if c := a.Count; c != nil {
			w.WriteString(indent(depth + 1))
			switch {
			case c.Column == "":
				w.WriteString("count\n")
			case c.Distinct:
				fmt.Fprintf(w, "count(columns: %s, distinct: true)\n", c.Column)
			default:
				fmt.Fprintf(w, "count(columns: [%s])\n", c.Column)
			}
		}
		for _, op := range a.Ops {
			fmt.Fprintf(w, "%s%s { %s }\n", indent(depth+1), op.Fn, strings.Join(op.Columns, " "))
		}
		w.WriteString(indent(depth) + "}\n")
	}
	if a.Nodes != nil {
		w.WriteString(indent(depth) + "nodes {\n")
		r.selection(w, f.Table, a.Nodes, depth+1)
		w.WriteString(indent(depth) + "}\n")
	}
}

func (r *renderer) selection(w *strings.Builder, t *Table, s *Selection, depth int) {
	switch s.Frag {
	case FragNamed:
		// The first field in place, the others in a named fragment, so
		// that the spread merges with a field written beside it.
		rest := s.Fields
		if len(rest) > 1 {
			r.field(w, rest[0], depth)
			rest = rest[1:]
		}
		r.nfrag++
		name := "F" + strconv.Itoa(r.nfrag)
		w.WriteString(indent(depth) + "..." + name + "\n")
		var fb strings.Builder
		fmt.Fprintf(&fb, "fragment %s on %s {\n", name, t.Name)
		for _, f := range rest {
			r.field(&fb, f, 1)
		}
		fb.WriteString("}\n")
		r.frags = append(r.frags, fb.String())
	case FragInline:
		w.WriteString(indent(depth) + "... on " + t.Name + " {\n")
		for _, f := range s.Fields {
			r.field(w, f, depth+1)
		}
		w.WriteString(indent(depth) + "}\n")
	default:
		for _, f := range s.Fields {
			r.field(w, f, depth)
		}
	}
}

func argList(args gObj) string {
	if len(args) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("(")
	for i, kv := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv.k + ": ")
		writeGQL(&b, kv.v)
	}
	b.WriteString(")")
	return b.String()
}

func (r *renderer) args(f *Field) gObj {
	a := f.Args
	var out gObj
	if a.Where != nil {
		if a.WhereVar {
			// A variable's value holds no variables: every value inline.
			out = append(out, gKV{"where", r.variable(f.Table.Name+"_bool_exp", boolExp(nil, a.Where))})
		} else {
			out = append(out, gKV{"where", boolExp(r, a.Where)})
		}
	}
	if len(a.OrderBy) > 0 {
		var items gList
		for _, o := range a.OrderBy {
			var item any = gEnum(o.Dir)
			switch {
			case o.Rel == nil:
				item = gObj{{o.Column, item}}
			case !o.Rel.Array:
				item = gObj{{o.Rel.Name, gObj{{o.Column, item}}}}
			case o.Fn == "count":
				item = gObj{{o.Rel.Name + "_aggregate", gObj{{"count", item}}}}
			default:
				item = gObj{{o.Rel.Name + "_aggregate", gObj{{o.Fn, gObj{{o.Column, item}}}}}}
			}
			items = append(items, item)
		}
		if len(items) == 1 {
			out = append(out, gKV{"order_by", items[0]})
		} else {
			out = append(out, gKV{"order_by", items})
		}
	}
	if len(a.DistinctOn) > 0 {
		var cols gList
		for _, c := range a.DistinctOn {
			cols = append(cols, gEnum(c))
		}
		if len(cols) == 1 {
			out = append(out, gKV{"distinct_on", cols[0]})
		} else {
			out = append(out, gKV{"distinct_on", cols})
		}
	}
	for _, x := range []struct {
		name string
		arg  *IntArg
	}{{"limit", a.Limit}, {"offset", a.Offset}} {
		if x.arg == nil {
			continue
		}
		s := strconv.Itoa(x.arg.N)
		if x.arg.Var {
			out = append(out, gKV{x.name, r.variable("Int", gScalar{s, s}.json)})
		} else {
			out = append(out, gKV{x.name, gScalar{s, s}})
		}
	}
	return out
}

// scalar returns v as a literal.
func scalar(v *Value) gScalar {
	switch {
	case v.Type == Int, v.Type == Numeric && !v.AsString:
		return gScalar{v.Text, v.Text}
	default:
		q, _ := json.Marshal(v.Text)
		return gScalar{string(q), string(q)}
	}
}

// value returns v as a literal, or as a reference to a new variable when
// v.Var and variables are allowed (r != nil).
func value(r *renderer, v *Value) any {
	if v.Var && r != nil {
		return r.variable(v.Type.GraphQL(), scalar(v).json)
	}
	return scalar(v)
}

// boolExp returns the <t>_bool_exp value of b; r is nil inside a
// variable's value.
func boolExp(r *renderer, b *BoolExp) any {
	switch b.Op {
	case BoolTrue:
		return gObj{}
	case BoolAnd, BoolOr:
		var l gList
		for _, c := range b.Children {
			l = append(l, boolExp(r, c))
		}
		k := "_and"
		if b.Op == BoolOr {
			k = "_or"
		}
		return gObj{{k, l}}
	case BoolNot:
		return gObj{{"_not", boolExp(r, b.Children[0])}}
	case BoolObj:
		// The children's keys side by side when they are distinct, else
		// the same conjunction as an _and.
		var o gObj
		seen := map[string]bool{}
		for _, c := range b.Children {
			for _, kv := range boolExp(r, c).(gObj) {
				if seen[kv.k] {
					var l gList
					for _, c := range b.Children {
						l = append(l, boolExp(r, c))
					}
					return gObj{{"_and", l}}
				}
				seen[kv.k] = true
				o = append(o, kv)
			}
		}
		return o
	case BoolCol:
		var ops gObj
		for _, c := range b.Cmps {
			ops = append(ops, gKV{c.Op, cmpValue(r, c)})
		}
		return gObj{{b.Column, ops}}
	case BoolRel:
		return gObj{{b.Rel.Name, boolExp(r, b.Sub)}}
	case BoolAggCount:
		count := gObj{{"predicate", gObj{{b.Pred.Op, cmpValue(r, b.Pred)}}}}
		if b.Sub != nil {
			count = append(count, gKV{"filter", boolExp(r, b.Sub)})
		}
		return gObj{{b.Rel.Name + "_aggregate", gObj{{"count", count}}}}
	}
	panic(fmt.Sprintf("permdiff: bool op %d", b.Op))
}

func cmpValue(r *renderer, c *Cmp) any {
	switch c.Op {
	case "_is_null":
		s := strconv.FormatBool(c.IsNull)
		return gScalar{s, s}
	case "_in", "_nin":
		if c.ListVar && r != nil && len(c.Values) > 0 {
			var vals []string
			for _, v := range c.Values {
				vals = append(vals, scalar(v).json)
			}
			return r.variable("["+c.Values[0].Type.GraphQL()+"!]", "["+strings.Join(vals, ", ")+"]")
		}
		l := gList{}
		for _, v := range c.Values {
			if v.Var && r != nil {
				// A list's items are non-null: so must their variables be.
				l = append(l, r.variable(v.Type.GraphQL()+"!", scalar(v).json))
				continue
			}
			l = append(l, scalar(v))
		}
		return l
	default:
		return value(r, c.Value)
	}
}

func writeGQL(w *strings.Builder, v any) {
	switch v := v.(type) {
	case gObj:
		w.WriteString("{")
		for i, kv := range v {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(kv.k + ": ")
			writeGQL(w, kv.v)
		}
		w.WriteString("}")
	case gList:
		w.WriteString("[")
		for i, x := range v {
			if i > 0 {
				w.WriteString(", ")
			}
			writeGQL(w, x)
		}
		w.WriteString("]")
	case gScalar:
		w.WriteString(v.lit)
	case gEnum:
		w.WriteString(string(v))
	case gVar:
		w.WriteString("$" + string(v))
	default:
		panic(fmt.Sprintf("permdiff: gql value %T", v))
	}
}

// writeJSON writes a variable's value: a gql tree without variables, or
// JSON text already (a string).
func writeJSON(w *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		w.WriteString(v)
	case gObj:
		w.WriteString("{")
		for i, kv := range v {
			if i > 0 {
				w.WriteString(", ")
			}
			k, _ := json.Marshal(kv.k)
			w.Write(k)
			w.WriteString(": ")
			writeJSON(w, kv.v)
		}
		w.WriteString("}")
	case gList:
		w.WriteString("[")
		for i, x := range v {
			if i > 0 {
				w.WriteString(", ")
			}
			writeJSON(w, x)
		}
		w.WriteString("]")
	case gScalar:
		w.WriteString(v.json)
	case gEnum:
		k, _ := json.Marshal(string(v))
		w.Write(k)
	default:
		panic(fmt.Sprintf("permdiff: json value %T", v))
	}
}
