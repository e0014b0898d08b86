package generate

import "strings"

// A role's schema file holds only the definitions of its schema that are
// not, text for text, in full.graphqls: with 90 roles over 250 tables, the
// role files repeat the admin's types (comparison expressions, the types
// of tables a role sees whole) tens of megabytes over. The server takes
// the missing definitions from full.graphqls (runtime/engine's
// baseSchema); a diff of a role file still shows every change of the
// role's API, as a definition that appears, changes or goes.

// roleFileNote opens every role file, after the generated header.
const roleFileNote = "# The definitions of this role's schema that differ from full.graphqls;\n" +
	"# the others, and the types they use, are those of full.graphqls.\n\n"

// roleDelta returns role's SDL without the definitions that full has
// with the same text. The schema definition and the root types are always
// kept. If either text does not split into definitions as generated SDL
// does, role is returned whole.
func roleDelta(full, role []byte) []byte {
	fb, ok1 := sdlBlocks(string(full))
	rb, ok2 := sdlBlocks(string(role))
	if !ok1 || !ok2 {
		return role
	}
	same := make(map[string]string, len(fb))
	for _, b := range fb {
		same[b.name] = b.text
	}
	roots := map[string]bool{"schema": true, "query_root": true, "mutation_root": true, "subscription_root": true}
	var out strings.Builder
	for _, b := range rb {
		if !roots[b.name] && same[b.name] == b.text {
			continue
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(b.text)
	}
	return []byte(out.String())
}

// sdlBlock is one top-level definition of generated SDL, with its
// description.
type sdlBlock struct {
	name string // the type's name, "schema", or "@directive"
	text string
}

// sdlBlocks splits generated SDL into its top-level definitions: a
// definition starts at column 0 (its description first) and ends at its
// line, or, when that line opens a body ({ or (), at the line closing it
// at column 0. ok is false for text that does not split so.
func sdlBlocks(sdl string) ([]sdlBlock, bool) {
	var blocks []sdlBlock
	var cur strings.Builder
	inDesc, inBody := false, false
	name := ""
	end := func() {
		blocks = append(blocks, sdlBlock{name: name, text: cur.String()})
		cur.Reset()
		name = ""
	}
	for _, line := range strings.SplitAfter(sdl, "\n") {
		text := strings.TrimSuffix(line, "\n")
		if cur.Len() == 0 && (text == "" || strings.HasPrefix(text, "#")) {
			continue // between definitions
		}
		cur.WriteString(line)
		switch {
		case inDesc:
			inDesc = !strings.HasSuffix(text, `"""`)
		case inBody:
			if strings.HasPrefix(text, "}") || strings.HasPrefix(text, ")") {
				inBody = false
				end()
			}
		case strings.HasPrefix(text, `"""`):
			inDesc = len(text) < 6 || !strings.HasSuffix(text, `"""`)
		case strings.HasPrefix(text, `"`):
			// a one-line description
		case strings.HasPrefix(text, " ") || strings.HasPrefix(text, "\t"):
			return nil, false // indented text outside a body
		default:
			f := strings.Fields(text)
			switch {
			case f[0] == "schema":
				name = "schema"
			case len(f) >= 2 && (f[0] == "type" || f[0] == "input" || f[0] == "enum" || f[0] == "scalar" || f[0] == "interface" || f[0] == "union" || f[0] == "directive"):
				name = strings.FieldsFunc(f[1], func(r rune) bool { return r == '(' || r == '{' })[0]
			default:
				return nil, false
			}
			if strings.HasSuffix(text, "{") || strings.HasSuffix(text, "(") {
				inBody = true
			} else {
				end()
			}
		}
	}
	if cur.Len() > 0 || inDesc || inBody {
		return nil, false
	}
	return blocks, true
}
