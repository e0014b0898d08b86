package generate

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// TestRoleDelta: every role's schema, served from its file holding only
// what differs from full.graphqls, is the schema of its complete SDL, type
// for type; and the files are smaller.
func TestRoleDelta(t *testing.T) {
	for _, c := range []struct{ snapshot, config string }{
		{chinookSnapshot, "testdata/chinook.yaml"},
		{chinookSnapshot, "../testdata/fixtures/chinook/hasgen.yaml"},
	} {
		s, err := introspect.LoadSnapshotFile(c.snapshot)
		if err != nil {
			t.Fatal(err)
		}
		md, err := metadata.Load(c.config, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := model.Build(s, md)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Roles) == 0 {
			t.Fatalf("%s has no role", c.config)
		}
		full, err := templates.SDL(p, model.AdminRole)
		if err != nil {
			t.Fatal(err)
		}
		fsys := fstest.MapFS{"full.graphqls": {Data: full}}
		whole := map[string][]byte{model.AdminRole: full}
		deltas := newDeltas(full)
		var before, after int
		for _, role := range p.Roles {
			b, err := templates.SDL(p, role)
			if err != nil {
				t.Fatal(err)
			}
			whole[role] = b
			d := deltas(b)
			fsys["roles/"+role+".graphqls"] = &fstest.MapFile{Data: d}
			before, after = before+len(b), after+len(d)
		}
		tables := templates.Descriptors(p)
		fromDelta, err := engine.New(engine.Config{Tables: tables, Schemas: fsys}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fromWhole, err := engine.New(engine.Config{Tables: templates.Descriptors(p), SDL: whole}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range p.Roles {
			a, err := fromDelta.Schema(role)
			if err != nil {
				t.Fatalf("%s role %s: %v", c.config, role, err)
			}
			b, err := fromWhole.Schema(role)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := printSchema(a), printSchema(b); got != want {
				t.Errorf("%s role %s: the schema served from the delta differs:\n%s", c.config, role, firstDiff(got, want))
			}
		}
		if after >= before {
			t.Errorf("%s: role files %d bytes, %d whole", c.config, after, before)
		}
		t.Logf("%s: role files %d bytes instead of %d", c.config, after, before)
	}
}

// printSchema prints a schema, its types sorted by name.
func printSchema(s *ast.Schema) string {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf).FormatSchema(s)
	return buf.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return "delta: " + al[i] + "\nwhole: " + strings.Join(bl[i:min(i+1, len(bl))], "")
		}
	}
	return "whole is longer"
}

// TestRelayNotGeneratedUnderNaming: a source with a naming convention gets
// no Relay API, and generate says so; the default gets it.
func TestRelayNotGeneratedUnderNaming(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(chinookSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Config: "testdata/chinook.yaml", Module: "server"}
	md, err := metadata.Load(o.Config, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, graphqlCase := range []bool{false, true} {
		p, err := model.Build(s, md)
		if err != nil {
			t.Fatal(err)
		}
		p.Naming.GraphQLCase = graphqlCase
		fs, err := projectFiles(p, o, "../..")
		if err != nil {
			t.Fatal(err)
		}
		_, relay := fs.generated["schema/relay/full.graphqls"]
		embedsRelay := strings.Contains(string(fs.generated["schema/schema.go"]), " relay\n")
		warned := len(fs.warnings) == 1 && strings.Contains(fs.warnings[0], "Relay API (/v1beta1/relay) is not generated")
		if relay == graphqlCase || embedsRelay == graphqlCase || warned != graphqlCase {
			t.Errorf("graphql-default %v: relay files %v, embedded %v, warned %v (%q)", graphqlCase, relay, embedsRelay, warned, fs.warnings)
		}
	}
}
