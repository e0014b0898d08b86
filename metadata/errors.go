package metadata

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a place in a permissions file: the file's path as Load was given
// it (joined with the paths of the !include directives that led there),
// and the 1-based line and column. A zero Line means "the whole file".
type Pos struct {
	// File is the file's path.
	File string
	// Line and Col are 1-based, as the YAML parser counts them.
	Line int
	Col  int
}

// String returns "file:line:col", or "file" when the line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// before orders positions by file, then line, then column.
func (p Pos) before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Error is one problem found in a permissions file. It prints as
// "file:line:col: message"; the message names the table, column, role or
// relationship concerned in plain words.
type Error struct {
	// Pos is where the problem is.
	Pos Pos
	// Msg says what is wrong, prefixed with the object concerned
	// (`select permission for role "user": ...`).
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem Load found, sorted by position. It is the
// error Load returns; use errors.As to get it, or to get one *Error.
type ErrorList []*Error

// Error returns the problems one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems as a slice of errors, so that errors.As can
// find an *Error in the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders the list by position, then message, and drops exact
// duplicates (an included file read twice reports its syntax error once).
func (l *ErrorList) sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Pos != s[j].Pos {
			return s[i].Pos.before(s[j].Pos)
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && *e == *s[i-1] {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// add appends a problem.
func (l *ErrorList) add(p Pos, format string, args ...any) {
	*l = append(*l, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}
