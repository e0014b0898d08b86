package metadata

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/introspect"
)

// typeName is how messages write a type: as Postgres does when known.
func typeName(t introspect.Type) string {
	if t.SQL != "" {
		return t.SQL
	}
	name := t.Name
	if t.Schema != "" && t.Schema != "pg_catalog" {
		name = t.Schema + "." + name
	}
	return name + strings.Repeat("[]", t.Dims)
}

// isText reports the string types, those the _like family applies to.
func isText(t introspect.Type) bool {
	if t.Dims > 0 {
		return false
	}
	switch t.Name {
	case "text", "varchar", "bpchar", "char", "citext", "name":
		return true
	}
	return false
}

func isJSON(t introspect.Type) bool  { return t.Dims == 0 && t.Name == "json" }
func isJSONB(t introspect.Type) bool { return t.Dims == 0 && t.Name == "jsonb" }

var uuidPattern = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$`)

// check returns "" when the literal v suits type t, else what t needs
// ("a 32-bit integer"). Numbers are accepted as strings too, as Hasura
// reads values through JSON; types hasgen does not know take anything but
// null.
func (v *validator) check(lit any, t introspect.Type) string {
	t = t.Scalar()
	if t.Dims > 0 {
		switch lit := lit.(type) {
		case string:
			return "" // a Postgres array literal, "{1,2}"
		case []any:
			elem := t
			elem.Dims--
			for _, x := range lit {
				if x == nil {
					continue
				}
				if want := v.check(x, elem); want != "" {
					return "a list whose items are each " + want
				}
			}
			return ""
		}
		return "a list"
	}
	if t.Kind == introspect.TypeEnum {
		e := v.s.Enum(t.Schema, t.Name)
		s, ok := lit.(string)
		if e == nil {
			if ok {
				return ""
			}
			return "a string"
		}
		for _, label := range e.Labels {
			if s == label && ok {
				return ""
			}
		}
		quoted := make([]string, len(e.Labels))
		for i, l := range e.Labels {
			quoted[i] = strconv.Quote(l)
		}
		return "one of the labels of enum " + t.Schema + "." + t.Name + " (" + strings.Join(quoted, ", ") + ")"
	}
	switch t.Name {
	case "int2":
		return checkInt(lit, math.MinInt16, math.MaxInt16, "an integer from -32768 to 32767")
	case "int4":
		return checkInt(lit, math.MinInt32, math.MaxInt32, "a 32-bit integer")
	case "int8", "oid":
		return checkInt(lit, math.MinInt64, math.MaxInt64, "a 64-bit integer")
	case "float4", "float8", "numeric", "money":
		var text string
		switch lit := lit.(type) {
		case json.Number:
			return ""
		case string:
			text = lit
		default:
			return "a number"
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err != nil && !isRangeErr(err) {
			return "a number"
		}
		return ""
	case "bool":
		if _, ok := lit.(bool); !ok {
			return "true or false"
		}
		return ""
	case "text", "varchar", "bpchar", "char", "citext", "name":
		if _, ok := lit.(string); !ok {
			return "a string"
		}
		return ""
	case "uuid":
		if s, ok := lit.(string); !ok || !uuidPattern.MatchString(s) {
			return "a UUID string"
		}
		return ""
	case "date", "time", "timetz", "timestamp", "timestamptz", "interval":
		if _, ok := lit.(string); !ok {
			return "a string (a " + t.Name + " as Postgres reads it)"
		}
		return ""
	case "json", "jsonb":
		return ""
	}
	return ""
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func checkInt(lit any, lo, hi int64, want string) string {
	var text string
	switch lit := lit.(type) {
	case json.Number:
		text = lit.String()
	case string:
		text = strings.TrimSpace(lit)
	default:
		return want
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < lo || n > hi {
		return want
	}
	return ""
}
