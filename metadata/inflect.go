package metadata

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// English singular and plural forms, for naming inferred relationships the
// way Hasura's console does (it uses the inflection.js rules, which are
// Rails's). Only the last word of a snake_case name changes:
// media_types → media_type, playlist_track → playlist_tracks.

type inflection struct {
	re   *regexp.Regexp
	repl string
}

func rules(pairs ...string) []inflection {
	out := make([]inflection, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, inflection{regexp.MustCompile("(?i)" + pairs[i]), pairs[i+1]})
	}
	return out
}

// keep is the replacement of a word already in the wanted form.
const keep = "${0}"

// pluralRules are tried in order; the first that matches wins.
var pluralRules = rules(
	// already plural
	`(m)en$`, keep, `(pe)ople$`, keep, `(child)ren$`, keep, `([ti])a$`, keep,
	`((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)ses$`, keep,
	`(hive)s$`, keep, `(tive)s$`, keep, `(curve)s$`, keep, `([lr])ves$`, keep, `([^fo])ves$`, keep,
	`([^aeiouy]|qu)ies$`, keep, `(s)eries$`, keep, `(m)ovies$`, keep, `(x|ch|ss|sh)es$`, keep,
	`^(m|l)ice$`, keep, `(bus)es$`, keep, `(shoe)s$`, keep, `(o)es$`, keep, `(cris|ax|test)es$`, keep,
	`(octop|vir)i$`, keep, `(alias|canvas|status|campus)es$`, keep, `^(summons)es$`, keep, `^(ox)en`, keep,
	`(matr|vert|ind)ices$`, keep, `^feet$`, keep, `^teeth$`, keep, `^geese$`, keep, `(quiz)zes$`, keep,
	`^(criteri)a$`, keep, `^genera$`, keep,
	// singular to plural
	`(m)an$`, "${1}en", `(pe)rson$`, "${1}ople", `(child)$`, "${1}ren", `^(ox)$`, "${1}en",
	`(ax|test)is$`, "${1}es", `(octop|vir)us$`, "${1}i", `(alias|status|canvas|campus)$`, "${1}es",
	`^(summons)$`, "${1}es", `(bu)s$`, "${1}ses", `(buffal|tomat|potat)o$`, "${1}oes",
	`([ti])um$`, "${1}a", `sis$`, "ses", `(?:([^f])fe|([lr])f)$`, "${1}${2}ves", `(hive)$`, "${1}s",
	`([^aeiouy]|qu)y$`, "${1}ies", `(matr)ix$`, "${1}ices", `(vert|ind)ex$`, "${1}ices",
	`(x|ch|ss|sh)$`, "${1}es", `^(m|l)ouse$`, "${1}ice", `^foot$`, "feet", `^tooth$`, "teeth",
	`^goose$`, "geese", `(quiz)$`, "${1}zes", `^(criteri)on$`, "${1}a", `^genus$`, "genera",
	`s$`, "s", `$`, "s",
)

// singularRules are tried in order; the first that matches wins.
var singularRules = rules(
	// already singular
	`(m)an$`, keep, `(pe)rson$`, keep, `(child)$`, keep, `^(ox)$`, keep, `(ax|test)is$`, keep,
	`(octop|vir)us$`, keep, `(alias|status|canvas|campus)$`, keep, `^(summons)$`, keep, `(bu)s$`, keep,
	`(buffal|tomat|potat)o$`, keep, `([ti])um$`, keep, `sis$`, keep, `(?:([^f])fe|([lr])f)$`, keep,
	`(hive)$`, keep, `([^aeiouy]|qu)y$`, keep, `(x|ch|ss|sh)$`, keep, `(matr)ix$`, keep,
	`(vert|ind)ex$`, keep, `^(m|l)ouse$`, keep, `^foot$`, keep, `^tooth$`, keep, `^goose$`, keep,
	`(quiz)$`, keep, `^(criteri)on$`, keep, `^genus$`, keep,
	// plural to singular
	`(m)en$`, "${1}an", `(pe)ople$`, "${1}rson", `(child)ren$`, "${1}", `([ti])a$`, "${1}um",
	`((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)ses$`, "${1}sis",
	`(hive)s$`, "${1}", `(tive)s$`, "${1}", `(curve)s$`, "${1}", `([lr])ves$`, "${1}f",
	`([^fo])ves$`, "${1}fe", `([^aeiouy]|qu)ies$`, "${1}y", `(s)eries$`, "${1}eries",
	`(m)ovies$`, "${1}ovie", `(x|ch|ss|sh)es$`, "${1}", `^(m|l)ice$`, "${1}ouse", `(bus)(es)?$`, "${1}",
	`(shoe)s$`, "${1}", `(o)es$`, "${1}", `(cris|ax|test)(is|es)$`, "${1}is", `(octop|vir)(us|i)$`, "${1}us",
	`(alias|canvas|status|campus)(es)?$`, "${1}", `^(summons)(es)?$`, "${1}", `^(ox)en`, "${1}",
	`(matr)ices$`, "${1}ix", `(vert|ind)ices$`, "${1}ex", `^feet$`, "foot", `^teeth$`, "tooth",
	`^geese$`, "goose", `(quiz)zes$`, "${1}", `^(criteri)a$`, "${1}on", `^genera$`, "genus",
	`ss$`, "ss", `s$`, "",
)

// uncountable words keep their form.
var uncountable = map[string]bool{
	"equipment": true, "information": true, "rice": true, "money": true, "species": true,
	"series": true, "fish": true, "sheep": true, "moose": true, "deer": true, "news": true,
	"jeans": true, "police": true, "staff": true, "feedback": true, "metadata": true,
}

func plural(word string) string   { return inflect(word, pluralRules) }
func singular(word string) string { return inflect(word, singularRules) }

func inflect(word string, rs []inflection) string {
	prefix, last := "", word
	if i := strings.LastIndexByte(word, '_'); i >= 0 {
		prefix, last = word[:i+1], word[i+1:]
	}
	if last == "" || uncountable[strings.ToLower(last)] {
		return word
	}
	for _, r := range rs {
		if r.re.MatchString(last) {
			return prefix + r.re.ReplaceAllString(last, r.repl)
		}
	}
	return word
}

// camelize joins snake_case words as lowerCamelCase, as inflection.js's
// camelize(s, true) does: employee_by_reports_to → employeeByReportsTo.
func camelize(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		r, n := utf8.DecodeRuneInString(part)
		if i == 0 {
			r = unicode.ToLower(r)
		} else {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
		b.WriteString(part[n:])
	}
	return b.String()
}

// graphQLSafe replaces what a GraphQL name cannot hold with "_".
func graphQLSafe(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
		default:
			r = '_'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
