package kriti

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// evaluator holds one evaluation's state.
type evaluator struct {
	t     *Template
	vars  map[string]any
	fns   map[string]Func
	steps int
	// binds are the range binders in scope, innermost last.
	binds []binding
}

type binding struct {
	name string
	val  any
}

// fail builds an evaluation error at n.
func (e *evaluator) fail(pos int, format string, args ...any) error {
	return e.t.errAt(pos, format, args...)
}

// charge counts n steps against MaxSteps.
func (e *evaluator) charge(pos, n int) error {
	e.steps += n
	if e.steps > MaxSteps {
		return e.fail(pos, "template exceeds %d evaluation steps", MaxSteps)
	}
	return nil
}

// eval evaluates n; depth is the recursion depth (bounded by MaxDepth
// at parse time, checked again here so that no path can recurse
// unbounded).
func (e *evaluator) eval(n *node, depth int) (any, error) {
	if depth > 2*MaxDepth+8 {
		return nil, e.fail(n.pos, "template nested deeper than %d levels", MaxDepth)
	}
	if err := e.charge(n.pos, 1); err != nil {
		return nil, err
	}
	d := depth + 1
	switch n.kind {
	case kNull, kBool, kNumber, kString:
		return n.lit, nil
	case kStringTem:
		var b []byte
		for _, k := range n.kids {
			v, err := e.eval(k, d)
			if err != nil {
				return nil, err
			}
			n0 := len(b)
			if s, ok := v.(string); ok {
				b = append(b, s...)
			} else if b, err = appendJSON(b, v); err != nil {
				return nil, e.fail(k.pos, "%v", err)
			}
			// Text costs steps, so that a range cannot build unbounded strings.
			if err := e.charge(k.pos, (len(b)-n0)/64); err != nil {
				return nil, err
			}
		}
		return string(b), nil
	case kArray:
		out := make([]any, len(n.kids))
		for i, k := range n.kids {
			v, err := e.eval(k, d)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kObject:
		out := make(map[string]any, len(n.kids))
		for i, k := range n.kids {
			v, err := e.eval(k, d)
			if err != nil {
				return nil, err
			}
			out[n.keys[i]] = v
		}
		return out, nil
	case kVar:
		for i := len(e.binds) - 1; i >= 0; i-- {
			if e.binds[i].name == n.str {
				return e.binds[i].val, nil
			}
		}
		if v, ok := e.vars[n.str]; ok {
			return v, nil
		}
		return nil, e.fail(n.pos, "variable %s is not defined", n.str)
	case kField:
		return e.field(n, d)
	case kOptional:
		return e.optional(n, d)
	case kIf:
		for i := 0; i+1 < len(n.kids); i += 2 {
			c, err := e.eval(n.kids[i], d)
			if err != nil {
				return nil, err
			}
			b, ok := c.(bool)
			if !ok {
				return nil, e.fail(start(n.kids[i]), "the condition is %s, not a Boolean", typeName(c))
			}
			if b {
				return e.eval(n.kids[i+1], d)
			}
		}
		return e.eval(n.kids[len(n.kids)-1], d)
	case kRange:
		return e.rangeOver(n, d)
	case kNot:
		v, err := e.eval(n.kids[0], d)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, e.fail(n.pos, "not: expected a Boolean, found %s", typeName(v))
		}
		return !b, nil
	case kCall:
		return e.call(n, d)
	case kBinary:
		return e.binary(n, d)
	}
	return nil, e.fail(n.pos, "unknown expression")
}

// field evaluates base.k, base['k'] and base[i].
func (e *evaluator) field(n *node, d int) (any, error) {
	base, err := e.eval(n.kids[0], d)
	if err != nil {
		return nil, err
	}
	if len(n.kids) == 1 {
		// .key: no boxing of the key on the common path.
		if m, ok := base.(map[string]any); ok {
			v, ok := m[n.str]
			if !ok {
				return nil, e.fail(n.pos, "key %q not found (use ?. or ?[ ] for an optional key)", n.str)
			}
			return v, nil
		}
	}
	var key any = n.str
	if len(n.kids) == 2 {
		if key, err = e.eval(n.kids[1], d); err != nil {
			return nil, err
		}
	}
	switch b := base.(type) {
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return nil, e.fail(n.pos, "cannot index Object with %s (an Object's key is a String)", describeValue(key))
		}
		v, ok := b[k]
		if !ok {
			return nil, e.fail(n.pos, "key %q not found (use ?. or ?[ ] for an optional key)", k)
		}
		return v, nil
	case []any:
		if k, isKey := key.(string); isKey {
			return nil, e.fail(n.pos, "cannot look up key %q in Array", k)
		}
		i, ok := toIndex(key)
		if !ok {
			return nil, e.fail(n.pos, "an Array's index must be an integer, found %s", describeValue(key))
		}
		if i < 0 || i >= len(b) {
			return nil, e.fail(n.pos, "index %d out of range (length %d)", i, len(b))
		}
		return b[i], nil
	}
	if k, isKey := key.(string); isKey {
		return nil, e.fail(n.pos, "cannot look up key %q in %s (expected an Object)", k, typeName(base))
	}
	return nil, e.fail(n.pos, "cannot index %s (expected an Array)", typeName(base))
}

// optional evaluates an optional chain: a missing key or index, or null
// on the way, makes the whole chain null.
func (e *evaluator) optional(n *node, d int) (any, error) {
	cur, err := e.eval(n.kids[0], d)
	if err != nil {
		return nil, err
	}
	for _, s := range n.chain {
		if cur == nil {
			return nil, nil
		}
		var key any = s.key
		if s.expr != nil {
			if key, err = e.eval(s.expr, d); err != nil {
				return nil, err
			}
		}
		switch c := cur.(type) {
		case map[string]any:
			k, ok := key.(string)
			if !ok {
				return nil, nil
			}
			cur = c[k]
		case []any:
			i, ok := toIndex(key)
			if !ok || i < 0 || i >= len(c) {
				return nil, nil
			}
			cur = c[i]
		default:
			return nil, e.fail(s.pos, "%s is not an Object or Array", describeValue(cur))
		}
	}
	return cur, nil
}

// rangeOver evaluates {{ range i, x := a }} body {{ end }} into an array.
func (e *evaluator) rangeOver(n *node, d int) (any, error) {
	v, err := e.eval(n.kids[0], d)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, e.fail(start(n.kids[0]), "range expects an Array, found %s", typeName(v))
	}
	out := make([]any, len(arr))
	base := len(e.binds)
	for i, x := range arr {
		e.binds = append(e.binds[:base], binding{n.str, x})
		if n.idx != "" {
			e.binds = append(e.binds, binding{n.idx, json.Number(strconv.Itoa(i))})
		}
		r, err := e.eval(n.kids[1], d)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	e.binds = e.binds[:base]
	return out, nil
}

// call evaluates f(arg).
func (e *evaluator) call(n *node, d int) (any, error) {
	arg, err := e.eval(n.kids[0], d)
	if err != nil {
		return nil, err
	}
	f, ok := e.fns[n.str]
	if !ok {
		f, ok = builtins[n.str]
	}
	if !ok {
		return nil, e.fail(n.pos, "function %s is not available here", n.str)
	}
	if err := e.charge(n.pos, cost(arg)); err != nil {
		return nil, err
	}
	v, err := f(arg)
	if err != nil {
		return nil, e.fail(start(n.kids[0]), "%s: %v", n.str, err)
	}
	return v, nil
}

// cost is what a function's argument adds to the step count: its top
// level size.
func cost(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	case string:
		return len(x) / 64
	}
	return 0
}

// binary evaluates an operator.
func (e *evaluator) binary(n *node, d int) (any, error) {
	l, err := e.eval(n.kids[0], d)
	if err != nil {
		return nil, err
	}
	if n.op == tDefault {
		if l != nil {
			return l, nil
		}
		return e.eval(n.kids[1], d)
	}
	r, err := e.eval(n.kids[1], d)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case tEq:
		return equal(l, r), nil
	case tNe:
		return !equal(l, r), nil
	case tGt:
		return compare(l, r) > 0, nil
	case tGe:
		return compare(l, r) >= 0, nil
	case tLt:
		return compare(l, r) < 0, nil
	case tLe:
		return compare(l, r) <= 0, nil
	case tAnd, tOr:
		lb, lok := l.(bool)
		rb, rok := r.(bool)
		if !lok || !rok {
			bad := l
			if lok {
				bad = r
			}
			return nil, e.fail(n.pos, "%s expects Booleans, found %s", tokNames[n.op], typeName(bad))
		}
		if n.op == tAnd {
			return lb && rb, nil
		}
		return lb || rb, nil
	case tIn:
		switch c := r.(type) {
		case map[string]any:
			k, ok := l.(string)
			if !ok {
				return nil, e.fail(n.pos, "in an Object, in expects a String key, found %s", typeName(l))
			}
			_, has := c[k]
			return has, nil
		case []any:
			for _, x := range c {
				if equal(l, x) {
					return true, nil
				}
			}
			return false, nil
		}
		return nil, e.fail(n.pos, "in expects an Object or Array on its right, found %s", typeName(r))
	}
	return nil, e.fail(n.pos, "unknown operator")
}

// start is where an expression begins (n.pos of an access or operator
// is the access's or the left operand's).
func start(n *node) int {
	for n.kind == kField || n.kind == kOptional || n.kind == kBinary {
		n = n.kids[0]
	}
	return n.pos
}

// toIndex reads an integral JSON number as an int.
func toIndex(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && i >= math.MinInt32 && i <= math.MaxInt32 {
			return int(i), true
		}
		f, ok := numFloat(x)
		if ok && f == math.Trunc(f) && math.Abs(f) < 1<<31 {
			return int(f), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	case int:
		return x, true
	}
	return 0, false
}

// numFloat reads a JSON number as a float64.
func numFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || isRangeErr(err)
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isNumber reports whether v is a JSON number.
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, int, int64:
		return true
	}
	return false
}

// numCompare compares two numbers exactly (as Haskell's Scientific does).
func numCompare(a, b any) int {
	if x, ok := a.(json.Number); ok {
		if y, ok := b.(json.Number); ok {
			if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				if j, err := strconv.ParseInt(string(y), 10, 64); err == nil {
					switch {
					case i < j:
						return -1
					case i > j:
						return 1
					}
					return 0
				}
			}
		}
	}
	fa, fb := bigNum(a), bigNum(b)
	return fa.Cmp(fb)
}

// bigNum reads a number exactly enough to compare.
func bigNum(v any) *big.Float {
	f := new(big.Float).SetPrec(256)
	switch x := v.(type) {
	case json.Number:
		if _, ok := f.SetString(string(x)); ok {
			return f
		}
	case float64:
		return f.SetFloat64(x)
	case int:
		return f.SetInt64(int64(x))
	case int64:
		return f.SetInt64(x)
	}
	return f
}

// typeRank orders JSON types as Aeson's Value constructors do.
func typeRank(v any) int {
	switch v.(type) {
	case map[string]any:
		return 0
	case []any:
		return 1
	case string:
		return 2
	case bool:
		return 4
	case nil:
		return 5
	}
	if isNumber(v) {
		return 3
	}
	return 6
}

// equal is JSON equality (numbers by value).
func equal(a, b any) bool { return compare(a, b) == 0 }

// compare orders JSON values as Hasura's Kriti does (Aeson's Ord on
// Value): by type first, then by value.
func compare(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case nil:
		return 0
	case []any:
		y := b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case map[string]any:
		y := b.(map[string]any)
		kx, ky := sortedKeys(x), sortedKeys(y)
		for i := 0; i < len(kx) && i < len(ky); i++ {
			if c := strings.Compare(kx[i], ky[i]); c != 0 {
				return c
			}
			if c := compare(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return cmpInt(len(kx), len(ky))
	}
	if isNumber(a) {
		return numCompare(a, b)
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// typeName names a value's JSON type as Kriti's messages do.
func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case nil:
		return "Null"
	}
	if isNumber(v) {
		return "Number"
	}
	return fmt.Sprintf("%T", v)
}

// describeValue shows a scalar value, or a compound one's type.
func describeValue(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		return typeName(v)
	}
	b, err := appendJSON(nil, v)
	if err != nil || len(b) > 80 {
		return typeName(v)
	}
	return string(b)
}
