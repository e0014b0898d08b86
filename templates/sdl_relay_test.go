package templates

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/model"
)

// TestRelaySDLGolden writes the Relay schema of the store case per role
// under testdata/golden/sdl/store/relay, each loaded as the runtime does.
func TestRelaySDLGolden(t *testing.T) {
	p := sdlTestCase(t, "store")
	for _, role := range sdlTestRoles(p) {
		t.Run(role, func(t *testing.T) {
			got, err := RelaySDL(p, role)
			if err != nil {
				t.Fatal(err)
			}
			sdlTestLoad(t, "relay/"+sdlTestFile(role), got)
			golden.Compare(t, filepath.Join(golden.Dir(t), "sdl", "store", "relay", sdlTestFile(role)), got)
		})
	}
}

// TestRelaySDLShape checks what makes the Relay schema Relay's, on the
// store case: no plain select fields, connections and node instead, the
// table types implementing Node with id: ID!, a column named id left out
// of the type but kept in its inputs, and array relationship connections.
func TestRelaySDLShape(t *testing.T) {
	p := sdlTestCase(t, "store")
	sdl, err := RelaySDL(p, model.AdminRole)
	if err != nil {
		t.Fatal(err)
	}
	s := sdlTestLoad(t, "relay/full.graphqls", sdl)
	for _, tb := range p.Tables {
		for _, name := range []string{tb.Roots.Select, tb.Roots.SelectByPk, tb.Roots.SelectAggregate, tb.Roots.SelectStream} {
			if name != "" && s.Query.Fields.ForName(name) != nil {
				t.Errorf("query_root has %s", name)
			}
		}
		conn := s.Query.Fields.ForName(tb.Type + "_connection")
		obj := s.Types[tb.Type]
		if len(tb.PrimaryKey) == 0 {
			if conn != nil {
				t.Errorf("%s has no primary key but a connection", tb.Type)
			}
			continue
		}
		if conn == nil || conn.Type.String() != tb.Type+"Connection!" {
			t.Fatalf("query_root.%s_connection: %v", tb.Type, conn)
		}
		if obj == nil || len(obj.Interfaces) != 1 || obj.Interfaces[0] != "Node" {
			t.Fatalf("%s does not implement Node", tb.Type)
		}
		if id := obj.Fields.ForName("id"); id == nil || id.Type.String() != "ID!" {
			t.Errorf("%s.id: %v", tb.Type, id)
		}
		if bx := s.Types[tb.Type+"_bool_exp"]; bx != nil && bx.Fields.ForName("id") != nil && bx.Fields.ForName("id").Type.Name() == "ID" {
			t.Errorf("%s_bool_exp.id became an ID", tb.Type)
		}
		for _, r := range tb.Relationships {
			if r.Array && len(r.Remote.PrimaryKey) > 0 && obj.Fields.ForName(r.Name+"_connection") == nil {
				t.Errorf("%s has no %s_connection", tb.Type, r.Name)
			}
		}
	}
	node := s.Query.Fields.ForName("node")
	if node == nil || node.Type.String() != "Node" || node.Arguments.ForName("id").Type.String() != "ID!" {
		t.Fatalf("query_root.node: %v", node)
	}
	if s.Subscription == nil || s.Subscription.Fields.ForName("node") == nil {
		t.Error("subscription_root has no node")
	}
	if !strings.Contains(string(sdl), "interface Node {") {
		t.Error("no interface Node")
	}
}
