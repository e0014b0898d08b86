package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestLimitSetFor(t *testing.T) {
	defaults := DefaultLimits()
	ls, err := ParseLimits([]byte(`{"depth_limit": {"global": 5, "per_role": {"user": 3}}, "node_limit": {"per_role": {"admin": 7}},
		"time_limit": {"global": 2.5}, "batch_limit": {"per_role": {"user": 4}}}`), defaults)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role string
		want Limits
	}{
		{"user", Limits{Depth: 3, Nodes: defaults.Nodes, Batch: 4, Time: 2500 * time.Millisecond}},
		{"guest", Limits{Depth: 5, Nodes: defaults.Nodes, Batch: defaults.Batch, Time: 2500 * time.Millisecond}},
		// admin is named: its values, the global ones under them.
		{"admin", Limits{Depth: 5, Nodes: 7, Batch: defaults.Batch, Time: 2500 * time.Millisecond}},
	}
	for _, c := range cases {
		if got := ls.For(c.role); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.role, got, c.want)
		}
	}
	// Admin, not named: the time limit and the admin node ceiling only.
	none, _ := ParseLimits(nil, defaults)
	if got, want := none.For("admin"), (Limits{Time: defaults.Time, Nodes: AdminNodes}); got != want {
		t.Errorf("admin by default: got %+v, want %+v", got, want)
	}
	off, _ := ParseLimits([]byte(`{"disabled": true, "depth_limit": {"global": 1}}`), defaults)
	if got := off.For("user"); got != (Limits{}) {
		t.Errorf("disabled: got %+v", got)
	}
	for _, bad := range []string{`{"rate_limit": {"global": {"max_reqs_per_min": 1, "unique_params": "host"}}}`, `{"depth_limit": {"global": -1}}`, `[`} {
		if _, err := ParseLimits([]byte(bad), defaults); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestOperationCost counts fragments once, however often they are spread:
// a 40-level bomb is measured, not expanded.
func TestOperationCost(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ a { ...F0 } }\n")
	for i := 0; i < 40; i++ {
		b.WriteString("fragment F" + strconv.Itoa(i) + " on T { x { ...F" + strconv.Itoa(i+1) + " } y { ...F" + strconv.Itoa(i+1) + " } }\n")
	}
	b.WriteString("fragment F40 on T { z }\n")
	cases := []struct {
		doc          string
		nodes, depth int64
	}{
		{"{ a b { c d { e } } }", 5, 3},
		{"{ a ...on T { b { c } } }", 3, 2},
		{"query { a { ...F } } fragment F on T { b ...F }", 2, 2}, // a cycle, which validation rejects
		{b.String(), maxCost, 42},
	}
	for _, c := range cases {
		doc, err := parser.ParseQuery(&ast.Source{Input: c.doc})
		if err != nil {
			t.Fatal(err)
		}
		got := operationCost(doc, doc.Operations[0])
		if got.nodes != c.nodes || got.depth != c.depth {
			t.Errorf("%.60s: got %d nodes, depth %d; want %d, %d", c.doc, got.nodes, got.depth, c.nodes, c.depth)
		}
	}
}
