package kriti

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is what a node is.
type kind uint8

const (
	kNull      kind = iota
	kBool           // lit
	kNumber         // lit
	kString         // str, lit
	kStringTem      // kids: parts, concatenated
	kArray          // kids
	kObject         // keys, kids
	kVar            // str: the name
	kField          // kids[0]: base; str: the key (.k), or kids[1]: key or index ([e])
	kOptional       // kids[0]: base; chain: the steps after the first ?
	kIf             // kids: cond, then, [cond, then]..., else
	kRange          // idx, str (binders), kids[0]: array, kids[1]: body
	kBinary         // op, kids[0], kids[1]
	kNot            // kids[0]
	kCall           // str: function, kids[0]: argument
)

// node is one expression of a template.
type node struct {
	kind  kind
	pos   int // byte offset in the source
	lit   any // a literal's value, boxed once
	op    tokKind
	str   string
	idx   string
	kids  []*node
	keys  []string
	chain []step
}

// step is one access of an optional chain: a key (dot access) or an
// expression in brackets.
type step struct {
	key  string
	expr *node
	pos  int
}

// tokKind is a token's kind.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tQuote   // " opening a string literal; its body is read by the parser
	tSQuote  // a whole '…' literal
	tOpen2   // {{
	tLBrace  // {
	tRBrace  // }
	tLBrack  // [
	tRBrack  // ]
	tLParen  // (
	tRParen  // )
	tComma   // ,
	tColon   // :
	tAssign  // :=
	tDot     // .
	tQuest   // ?
	tDefault // ??
	tEq      // ==
	tNe      // !=
	tGt      // >
	tGe      // >=
	tLt      // <
	tLe      // <=
	tAnd     // &&
	tOr      // ||
	tIn      // in (an identifier the parser promotes)
)

var tokNames = [...]string{
	tEOF: "end of template", tIdent: "identifier", tNumber: "number", tQuote: `"`, tSQuote: "string",
	tOpen2: "{{", tLBrace: "{", tRBrace: "}", tLBrack: "[", tRBrack: "]", tLParen: "(", tRParen: ")",
	tComma: ",", tColon: ":", tAssign: ":=", tDot: ".", tQuest: "?", tDefault: "??",
	tEq: "==", tNe: "!=", tGt: ">", tGe: ">=", tLt: "<", tLe: "<=", tAnd: "&&", tOr: "||", tIn: "in",
}

// token is one lexeme; text is an identifier's name, a number's digits or
// a '…' literal's decoded value.
type token struct {
	kind tokKind
	pos  int
	end  int
	text string
}

// describe names a token for an error message.
func (tk token) describe() string {
	switch tk.kind {
	case tIdent:
		return strconv.Quote(tk.text)
	case tNumber:
		return "number " + tk.text
	case tEOF:
		return "end of template"
	}
	return strconv.Quote(tokNames[tk.kind])
}

// keywords cannot be variable names.
var keywords = map[string]bool{
	"true": true, "false": true, "null": true, "if": true, "elif": true, "else": true,
	"end": true, "range": true, "in": true, "not": true,
}

// binary operators' precedence (Kriti's: in < || < && < ?? < comparisons)
// and whether they group to the right.
var precedence = map[tokKind]int{
	tIn: 1, tOr: 2, tAnd: 3, tDefault: 4,
	tEq: 5, tNe: 5, tGt: 5, tGe: 5, tLt: 5, tLe: 5,
}

// parser is a recursive-descent parser over a lexer it drives: string
// bodies are read character by character, the rest token by token.
type parser struct {
	src    string
	pos    int
	peeked *token
	depth  int
	t      *Template
	scope  []string // range binders in scope
}

// errorAt aborts parsing with an error at off; the panic becomes a
// return value in parseTemplate (as text/template's parser does).
func (p *parser) errorAt(off int, format string, args ...any) {
	panic(p.t.errAt(off, format, args...))
}

// parseTemplate parses the whole source.
func (p *parser) parseTemplate() (root *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			root, err = nil, e
		}
	}()
	if strings.TrimSpace(p.src) == "" {
		p.errorAt(0, "empty template")
	}
	root = p.parseExpr(0)
	if tk := p.next(); tk.kind != tEOF {
		p.errorAt(tk.pos, "unexpected %s after the template's value", tk.describe())
	}
	return root, nil
}

// peek returns the next token without consuming it.
func (p *parser) peek() token {
	if p.peeked == nil {
		tk := p.lex()
		p.peeked = &tk
	}
	return *p.peeked
}

// next consumes the next token.
func (p *parser) next() token {
	tk := p.peek()
	p.peeked = nil
	return tk
}

// expect consumes a token of kind k or fails naming what it wanted.
func (p *parser) expect(k tokKind, what string) token {
	tk := p.next()
	if tk.kind != k {
		p.errorAt(tk.pos, "expected %s, found %s", what, tk.describe())
	}
	return tk
}

// expectClose consumes }} (two adjacent }).
func (p *parser) expectClose(what string) {
	tk := p.next()
	if tk.kind != tRBrace || tk.end >= len(p.src) || p.src[tk.end] != '}' {
		p.errorAt(tk.pos, "expected }} to close %s, found %s", what, tk.describe())
	}
	p.pos = tk.end + 1
}

// lex reads one token in expression mode.
func (p *parser) lex() token {
	s := p.src
	for p.pos < len(s) {
		switch s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			continue
		case '#':
			// A comment runs to the end of the line.
			for p.pos < len(s) && s[p.pos] != '\n' {
				p.pos++
			}
			continue
		}
		break
	}
	start := p.pos
	if start >= len(s) {
		return token{kind: tEOF, pos: start, end: start}
	}
	c := s[start]
	two := ""
	if start+1 < len(s) {
		two = s[start : start+2]
	}
	mk := func(k tokKind, n int) token {
		p.pos = start + n
		return token{kind: k, pos: start, end: start + n}
	}
	switch two {
	case "{{":
		return mk(tOpen2, 2)
	case ":=":
		return mk(tAssign, 2)
	case "??":
		return mk(tDefault, 2)
	case "==":
		return mk(tEq, 2)
	case "!=":
		return mk(tNe, 2)
	case ">=":
		return mk(tGe, 2)
	case "<=":
		return mk(tLe, 2)
	case "&&":
		return mk(tAnd, 2)
	case "||":
		return mk(tOr, 2)
	}
	switch c {
	case '{':
		return mk(tLBrace, 1)
	case '}':
		return mk(tRBrace, 1)
	case '[':
		return mk(tLBrack, 1)
	case ']':
		return mk(tRBrack, 1)
	case '(':
		return mk(tLParen, 1)
	case ')':
		return mk(tRParen, 1)
	case ',':
		return mk(tComma, 1)
	case ':':
		return mk(tColon, 1)
	case '.':
		return mk(tDot, 1)
	case '?':
		return mk(tQuest, 1)
	case '>':
		return mk(tGt, 1)
	case '<':
		return mk(tLt, 1)
	case '"':
		return mk(tQuote, 1)
	case '\'':
		return p.lexSingleQuoted(start)
	case '`':
		p.errorAt(start, "backquoted strings are not Kriti; write \"…{{ e }}…\"")
	}
	if c == '-' || (c >= '0' && c <= '9') {
		return p.lexNumber(start)
	}
	if isIdentStart(c) {
		i := start + 1
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		p.pos = i
		tk := token{kind: tIdent, pos: start, end: i, text: s[start:i]}
		if tk.text == "in" {
			tk.kind = tIn
		}
		return tk
	}
	r, _ := utf8.DecodeRuneInString(s[start:])
	p.errorAt(start, "unexpected character %q", r)
	return token{}
}

func isIdentStart(c byte) bool {
	return c == '$' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// lexNumber reads a JSON number.
func (p *parser) lexNumber(start int) token {
	s, i := p.src, start
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		p.errorAt(start, "malformed number (leading zero)")
	}
	if digits() == 0 {
		p.errorAt(start, "malformed number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			p.errorAt(start, "malformed number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.errorAt(start, "malformed number")
		}
	}
	p.pos = i
	return token{kind: tNumber, pos: start, end: i, text: s[start:i]}
}

// lexSingleQuoted reads a '…' literal (a key in brackets: $body['a b']).
func (p *parser) lexSingleQuoted(start int) token {
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(p.src) {
			p.errorAt(start, "unterminated string")
		}
		c := p.src[i]
		if c == '\'' {
			p.pos = i + 1
			return token{kind: tSQuote, pos: start, end: i + 1, text: b.String()}
		}
		if c == '\\' {
			i = p.escape(&b, i)
			continue
		}
		b.WriteByte(c)
		i++
	}
}

// escape decodes the backslash escape at i into b and returns the offset
// after it.
func (p *parser) escape(b *strings.Builder, i int) int {
	if i+1 >= len(p.src) {
		p.errorAt(i, "unterminated escape")
	}
	switch c := p.src[i+1]; c {
	case '"', '\\', '/', '\'':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, n := p.hex4(i + 2)
		end := i + 2 + n
		if utf16.IsSurrogate(r) && end+6 <= len(p.src) && p.src[end] == '\\' && p.src[end+1] == 'u' {
			r2, n2 := p.hex4(end + 2)
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				b.WriteRune(d)
				return end + 2 + n2
			}
		}
		b.WriteRune(r)
		return end
	default:
		p.errorAt(i, "unknown escape \\%c", c)
	}
	return i + 2
}

// hex4 reads the 4 hex digits of a \u escape at i.
func (p *parser) hex4(i int) (rune, int) {
	if i+4 > len(p.src) {
		p.errorAt(i-2, "malformed \\u escape")
	}
	v, err := strconv.ParseUint(p.src[i:i+4], 16, 32)
	if err != nil {
		p.errorAt(i-2, "malformed \\u escape")
	}
	return rune(v), 4
}

// enter counts one level of nesting.
func (p *parser) enter(off int) {
	p.depth++
	if p.depth > MaxDepth {
		p.errorAt(off, "template nested deeper than %d levels", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// parseExpr parses a binary expression of operators binding at least
// minPrec.
func (p *parser) parseExpr(minPrec int) *node {
	p.enter(p.peek().pos)
	defer p.leave()
	lhs := p.parseUnary()
	for {
		tk := p.peek()
		if tk.kind == tQuest && minPrec == 0 {
			// c ? a : b binds loosest and groups to the right.
			p.next()
			then := p.parseExpr(0)
			p.expect(tColon, `":" of c ? a : b`)
			els := p.parseExpr(0)
			return &node{kind: kIf, pos: lhs.pos, kids: []*node{lhs, then, els}}
		}
		prec, ok := precedence[tk.kind]
		if !ok || prec < minPrec {
			return lhs
		}
		p.next()
		next := prec + 1
		if prec <= 4 { // in || && ?? group to the right
			next = prec
		}
		rhs := p.parseExpr(next)
		lhs = &node{kind: kBinary, pos: lhs.pos, op: tk.kind, kids: []*node{lhs, rhs}}
	}
}

// parseUnary parses not e, a function call or a value with its accesses.
func (p *parser) parseUnary() *node {
	tk := p.peek()
	if tk.kind == tIdent && tk.text == "not" {
		p.next()
		p.enter(tk.pos)
		defer p.leave()
		return &node{kind: kNot, pos: tk.pos, kids: []*node{p.parseUnary()}}
	}
	return p.parsePostfix(p.parsePrimary())
}

// parsePrimary parses a literal, a variable, a call, (e), {{ e }}, an
// if or a range.
func (p *parser) parsePrimary() *node {
	tk := p.next()
	switch tk.kind {
	case tOpen2:
		in := p.peek()
		if in.kind == tIdent {
			switch in.text {
			case "if":
				p.next()
				return p.parseIf(tk.pos)
			case "range":
				p.next()
				return p.parseRange(tk.pos)
			case "elif", "else", "end":
				p.errorAt(tk.pos, "{{ %s }} without an open {{ if }} or {{ range }}", in.text)
			}
		}
		e := p.parseExpr(0)
		p.expectClose("{{")
		return e
	case tNumber:
		return &node{kind: kNumber, pos: tk.pos, lit: json.Number(tk.text)}
	case tQuote:
		return p.parseString(tk.pos)
	case tSQuote:
		return &node{kind: kString, pos: tk.pos, str: tk.text, lit: tk.text}
	case tLBrack:
		return p.parseArray(tk.pos)
	case tLBrace:
		return p.parseObject(tk.pos)
	case tLParen:
		e := p.parseExpr(0)
		p.expect(tRParen, `")"`)
		return e
	case tIdent:
		switch tk.text {
		case "true", "false":
			return &node{kind: kBool, pos: tk.pos, lit: tk.text == "true"}
		case "null":
			return &node{kind: kNull, pos: tk.pos}
		}
		if keywords[tk.text] {
			p.errorAt(tk.pos, "unexpected keyword %q", tk.text)
		}
		nx := p.peek()
		if nx.kind == tLParen && nx.pos == tk.end {
			return p.parseCall(tk)
		}
		if knownFunction(tk.text) && !p.bound(tk.text) && startsOperand(nx) {
			// Kriti also applies a function by juxtaposition, as Hasura's
			// docs do: {{ escapeUri $session_variables['x-hasura-user-id'] }},
			// {{ concat {{ range … }} … {{ end }} }}, {{ toPairs {…} }}.
			return p.parseCall(tk)
		}
		if tk.text != "_" && !p.bound(tk.text) {
			line, col := p.t.position(tk.pos)
			p.t.vars = append(p.t.vars, VarRef{Name: tk.text, Line: line, Col: col})
		}
		return &node{kind: kVar, pos: tk.pos, str: tk.text}
	}
	p.errorAt(tk.pos, "unexpected %s", tk.describe())
	return nil
}

// startsOperand reports whether tk can begin a function's operand.
func startsOperand(tk token) bool {
	switch tk.kind {
	case tIdent:
		return !keywords[tk.text] || tk.text == "true" || tk.text == "false" || tk.text == "null" || tk.text == "not"
	case tQuote, tSQuote, tNumber, tLParen, tLBrack, tLBrace, tOpen2:
		return true
	}
	return false
}

// bound reports whether a range binds name here.
func (p *parser) bound(name string) bool {
	for _, s := range p.scope {
		if s == name {
			return true
		}
	}
	return false
}

// parseCall parses f(e) or f e after the function's name.
func (p *parser) parseCall(name token) *node {
	if !knownFunction(name.text) {
		p.errorAt(name.pos, "unknown function %q (Kriti has: %s)", name.text, strings.Join(functionNames(), ", "))
	}
	p.enter(name.pos)
	defer p.leave()
	return &node{kind: kCall, pos: name.pos, str: name.text, kids: []*node{p.parseUnary()}}
}

// parseString reads a string literal's body after its opening quote:
// text, escapes and {{ }} interpolations.
func (p *parser) parseString(start int) *node {
	var parts []*node
	var b strings.Builder
	i := p.pos
	litStart := i
	flush := func() {
		if b.Len() > 0 {
			str := b.String()
			parts = append(parts, &node{kind: kString, pos: litStart, str: str, lit: str})
			b.Reset()
		}
	}
	for {
		if i >= len(p.src) {
			p.errorAt(start, "unterminated string")
		}
		c := p.src[i]
		switch {
		case c == '"':
			p.pos = i + 1
			flush()
			if len(parts) == 0 {
				return &node{kind: kString, pos: start, lit: ""}
			}
			if len(parts) == 1 && parts[0].kind == kString {
				parts[0].pos = start
				return parts[0]
			}
			return &node{kind: kStringTem, pos: start, kids: parts}
		case c == '\\':
			i = p.escape(&b, i)
		case c == '{' && i+1 < len(p.src) && p.src[i+1] == '{':
			flush()
			p.pos = i + 2
			p.peeked = nil
			e := p.parseExpr(0)
			p.expectClose("{{ in a string")
			parts = append(parts, e)
			i = p.pos
			litStart = i
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// parseArray parses [e, …] after [.
func (p *parser) parseArray(start int) *node {
	n := &node{kind: kArray, pos: start}
	if p.peek().kind == tRBrack {
		p.next()
		return n
	}
	for {
		n.kids = append(n.kids, p.parseExpr(0))
		tk := p.next()
		if tk.kind == tRBrack {
			return n
		}
		if tk.kind != tComma {
			p.errorAt(tk.pos, `expected "," or "]" in array, found %s`, tk.describe())
		}
	}
}

// parseObject parses {"k": e, …} after {; keys are plain strings.
func (p *parser) parseObject(start int) *node {
	n := &node{kind: kObject, pos: start}
	if p.peek().kind == tRBrace {
		p.next()
		return n
	}
	seen := map[string]bool{}
	for {
		kt := p.next()
		if kt.kind != tQuote {
			p.errorAt(kt.pos, "expected a string key in object, found %s", kt.describe())
		}
		k := p.parseString(kt.pos)
		if k.kind != kString {
			p.errorAt(kt.pos, "an object key cannot hold {{ }}")
		}
		p.expect(tColon, `":" after object key`)
		v := p.parseExpr(0)
		// Kriti keeps the first of duplicate keys.
		if !seen[k.str] {
			seen[k.str] = true
			n.keys = append(n.keys, k.str)
			n.kids = append(n.kids, v)
		}
		tk := p.next()
		if tk.kind == tRBrace {
			return n
		}
		if tk.kind != tComma {
			p.errorAt(tk.pos, `expected "," or "}" in object, found %s`, tk.describe())
		}
	}
}

// parsePostfix parses the accesses after a value: .k ['k'] [e] and an
// optional chain ?.k ?[e] that takes every access after it.
func (p *parser) parsePostfix(base *node) *node {
	for {
		tk := p.peek()
		switch tk.kind {
		case tDot:
			p.next()
			key := p.fieldName()
			base = &node{kind: kField, pos: key.pos, str: key.text, kids: []*node{base}}
		case tLBrack:
			p.next()
			idx := p.parseExpr(0)
			p.expect(tRBrack, `"]"`)
			base = &node{kind: kField, pos: tk.pos, kids: []*node{base, idx}}
		case tQuest:
			if !p.optionalAfter(tk) {
				return base // c ? a : b
			}
			p.next()
			opt := &node{kind: kOptional, pos: tk.pos, kids: []*node{base}}
			for {
				s, ok := p.chainStep()
				if !ok {
					break
				}
				opt.chain = append(opt.chain, s)
			}
			if len(opt.chain) == 0 {
				p.errorAt(tk.pos, `expected "." or "[" after "?"`)
			}
			return opt
		default:
			return base
		}
	}
}

// fieldName reads the name after a dot (keywords are names there).
func (p *parser) fieldName() token {
	tk := p.next()
	if tk.kind == tIn {
		tk.kind, tk.text = tIdent, "in"
	}
	if tk.kind != tIdent {
		p.errorAt(tk.pos, "expected a field name after \".\", found %s", tk.describe())
	}
	return tk
}

// optionalAfter reports whether the ? token q starts an optional access
// (?. or ?[) rather than a conditional c ? a : b.
func (p *parser) optionalAfter(q token) bool {
	i := q.end
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t' || p.src[i] == '\n' || p.src[i] == '\r') {
		i++
	}
	return i < len(p.src) && (p.src[i] == '.' || p.src[i] == '[')
}

// chainStep parses one access of an optional chain, with or without its
// own ?.
func (p *parser) chainStep() (step, bool) {
	tk := p.peek()
	if tk.kind == tQuest {
		if !p.optionalAfter(tk) {
			return step{}, false
		}
		p.next()
		tk = p.peek()
		if tk.kind != tDot && tk.kind != tLBrack {
			p.errorAt(tk.pos, `expected "." or "[" after "?"`)
		}
	}
	switch tk.kind {
	case tDot:
		p.next()
		key := p.fieldName()
		return step{key: key.text, pos: key.pos}, true
	case tLBrack:
		p.next()
		e := p.parseExpr(0)
		p.expect(tRBrack, `"]"`)
		return step{expr: e, pos: tk.pos}, true
	}
	return step{}, false
}

// parseIf parses the rest of {{ if c }} t {{ elif c }} t {{ else }} e {{ end }}.
func (p *parser) parseIf(start int) *node {
	n := &node{kind: kIf, pos: start}
	n.kids = append(n.kids, p.parseExpr(0))
	p.expectClose("{{ if")
	n.kids = append(n.kids, p.parseExpr(0))
	for {
		open := p.next()
		kw := p.peek()
		if open.kind != tOpen2 || kw.kind != tIdent {
			p.errorAt(open.pos, "expected {{ elif }}, {{ else }} or {{ end }} in the {{ if }} at %s, found %s", p.where(start), open.describe())
		}
		p.next()
		switch kw.text {
		case "elif":
			n.kids = append(n.kids, p.parseExpr(0))
			p.expectClose("{{ elif")
			n.kids = append(n.kids, p.parseExpr(0))
		case "else":
			p.expectClose("{{ else")
			n.kids = append(n.kids, p.parseExpr(0))
			p.expectEnd(start, "if")
			return n
		case "end":
			p.errorAt(open.pos, "the {{ if }} at %s has no {{ else }} (Kriti requires one)", p.where(start))
		default:
			p.errorAt(kw.pos, "expected elif, else or end, found %s", kw.describe())
		}
	}
}

// expectEnd consumes {{ end }}.
func (p *parser) expectEnd(start int, what string) {
	open := p.next()
	kw := p.next()
	if open.kind != tOpen2 || kw.kind != tIdent || kw.text != "end" {
		p.errorAt(open.pos, "expected {{ end }} for the {{ %s }} at %s, found %s", what, p.where(start), open.describe())
	}
	p.expectClose("{{ end")
}

// where formats an offset as line:col for messages.
func (p *parser) where(off int) string {
	l, c := p.t.position(off)
	return strconv.Itoa(l) + ":" + strconv.Itoa(c)
}

// parseRange parses the rest of {{ range i, x := e }} body {{ end }}.
func (p *parser) parseRange(start int) *node {
	idx := p.expect(tIdent, `an index name or "_"`)
	p.expect(tComma, `","`)
	val := p.expect(tIdent, "a value name")
	for _, b := range []token{idx, val} {
		if keywords[b.text] || (b.text == "_" && b == val) {
			p.errorAt(b.pos, "%s cannot name a range binder", b.describe())
		}
	}
	p.expect(tAssign, `":="`)
	arr := p.parseExpr(0)
	p.expectClose("{{ range")
	n := &node{kind: kRange, pos: start, idx: idx.text, str: val.text}
	if idx.text == "_" {
		n.idx = ""
	}
	p.scope = append(p.scope, val.text, idx.text)
	body := p.parseExpr(0)
	p.scope = p.scope[:len(p.scope)-2]
	p.expectEnd(start, "range")
	n.kids = []*node{arr, body}
	return n
}

// functionNames lists the functions templates may call.
func functionNames() []string {
	names := make([]string, 0, len(builtins)+1)
	for k := range builtins {
		names = append(names, k)
	}
	names = append(names, "getSessionVariable")
	sort.Strings(names)
	return names
}

// knownFunction reports whether templates may call name.
func knownFunction(name string) bool {
	_, ok := builtins[name]
	return ok || name == "getSessionVariable"
}
