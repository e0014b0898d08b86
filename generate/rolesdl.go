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

// subsetNote heads the list of the role's types that are full.graphqls's
// without some of their fields, in the comment block the server reads
// (runtime/engine's baseSchema): "#   <type>: <field> <field>...".
const subsetNote = "# As in full.graphqls, without the fields listed:\n"

// newDeltas returns the function that writes a role's SDL as its file:
// without the definitions that full has with the same text; a definition
// that is full's without some fields (or enum values) is listed in a
// comment block as the type and the fields it lacks; the schema
// definition always written. full is split once, for every role. If
// either text does not split into definitions as generated SDL does, the
// role's SDL is returned whole.
func newDeltas(full []byte) func(role []byte) []byte {
	fb, ok := sdlBlocks(string(full))
	same := make(map[string]sdlBlock, len(fb))
	for _, b := range fb {
		same[b.name] = b
	}
	return func(role []byte) []byte {
		if !ok {
			return role
		}
		return delta(same, role)
	}
}

// delta is newDeltas's function over the blocks of full by name.
func delta(same map[string]sdlBlock, role []byte) []byte {
	rb, ok := sdlBlocks(string(role))
	if !ok {
		return role
	}
	var defs, subsets strings.Builder
	for _, b := range rb {
		f, ok := same[b.name]
		if b.name != "schema" && ok {
			if f.text == b.text {
				continue
			}
			if dropped, ok := subset(f.text, b.text); ok {
				subsets.WriteString("#   " + b.name + ": " + strings.Join(dropped, " ") + "\n")
				continue
			}
		}
		if defs.Len() > 0 {
			defs.WriteByte('\n')
		}
		defs.WriteString(b.text)
	}
	if subsets.Len() == 0 {
		return []byte(defs.String())
	}
	return []byte(subsetNote + subsets.String() + "\n" + defs.String())
}

// subset reports whether the definition role is full's without some of
// its fields, each kept field written as in full, and returns the names
// of the fields it lacks.
func subset(full, role string) (dropped []string, ok bool) {
	fHead, fFields, ok1 := sdlFields(full)
	rHead, rFields, ok2 := sdlFields(role)
	if !ok1 || !ok2 || fHead != rHead || len(rFields) >= len(fFields) {
		return nil, false
	}
	i := 0
	for _, f := range fFields {
		if i < len(rFields) && rFields[i] == f {
			i++
			continue
		}
		dropped = append(dropped, f.name)
	}
	if i != len(rFields) {
		return nil, false // a field of role's differs from full's, or is not there
	}
	return dropped, true
}

// sdlField is one field (argument list and description included), input
// field or enum value of a generated definition's body.
type sdlField struct {
	name, text string
}

// sdlFields splits a definition block into its head (description and
// first line) and the fields of its body, each with its description.
func sdlFields(block string) (head string, fields []sdlField, ok bool) {
	lines := strings.SplitAfter(block, "\n")
	start := -1
	for i, l := range lines {
		if !strings.HasPrefix(l, " ") && strings.HasSuffix(strings.TrimSuffix(l, "\n"), "{") {
			start = i
			break
		}
	}
	if start < 0 || len(lines) < start+2 {
		return "", nil, false
	}
	head = strings.Join(lines[:start+1], "")
	var cur strings.Builder
	name := ""
	inDesc, inArgs := false, false
	for _, l := range lines[start+1:] {
		text := strings.TrimSuffix(l, "\n")
		if text == "}" || text == "" && cur.Len() == 0 {
			continue
		}
		if text == "" && !inDesc && !inArgs {
			continue
		}
		cur.WriteString(l)
		switch {
		case inDesc:
			inDesc = !strings.HasSuffix(text, `"""`)
		case inArgs:
			if strings.HasPrefix(text, "  )") {
				inArgs = false
				fields = append(fields, sdlField{name: name, text: cur.String()})
				cur.Reset()
			}
		case strings.HasPrefix(text, `  """`):
			inDesc = len(text) < 8 || !strings.HasSuffix(text, `"""`)
		case strings.HasPrefix(text, "  ") && !strings.HasPrefix(text, "   "):
			name = strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ':' || r == '(' })[0]
			if strings.HasSuffix(text, "(") {
				inArgs = true
			} else {
				fields = append(fields, sdlField{name: name, text: cur.String()})
				cur.Reset()
			}
		default:
			return "", nil, false
		}
	}
	if cur.Len() > 0 || inDesc || inArgs {
		return "", nil, false
	}
	return head, fields, true
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
