package templates_test

import (
	"go/format"
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/templates"
)

// chinookActions are actions over Chinook: custom types of every kind
// (a scalar, an enum whose values clash as Go names, an input, an object
// nesting itself), Postgres
// scalars, list and nullable arguments, and Go-only actions returning
// rows of a table with a one-column and one with a two-column key.
func chinookActions(md *metadata.Metadata) {
	md.CustomTypes = []*metadata.CustomType{
		{Kind: "scalar", Name: "Money"},
		{Kind: "enum", Name: "Level", Values: []*metadata.CustomField{{Name: "LOW"}, {Name: "IN_PROGRESS"}, {Name: "low"}}},
		{Kind: "input", Name: "Creds", Fields: []*metadata.CustomField{{Name: "username", Type: "String!"}, {Name: "pin", Type: "Int"}}},
		{Kind: "type", Name: "Profile", Fields: []*metadata.CustomField{
			{Name: "id", Type: "uuid!"}, {Name: "level", Type: "Level"}, {Name: "balance", Type: "Money"}, {Name: "total", Type: "numeric"},
			{Name: "meta", Type: "jsonb"}, {Name: "friends", Type: "[Profile!]"}, {Name: "best", Type: "Profile"}}},
	}
	md.Actions = []*metadata.Action{
		{Action: actions.Action{Name: "login", Mutation: true, Handler: "http://h/login", OutputType: "Profile!"},
			Args: []*metadata.CustomField{{Name: "creds", Type: "Creds!"}, {Name: "level", Type: "Level"}, {Name: "tags", Type: "[String!]"}}},
		{Action: actions.Action{Name: "count_things", Handler: "http://h/count", OutputType: "Int"}},
		{Action: actions.Action{Name: "buy_album", Mutation: true, Handler: actions.GoOnly, OutputType: "albums"}, OutputTable: "albums",
			Args: []*metadata.CustomField{{Name: "album_id", Type: "Int!"}}},
		{Action: actions.Action{Name: "playlist_tracks", Handler: actions.GoOnly, OutputType: "[playlist_track!]!"}, OutputTable: "playlist_track"},
	}
}

// TestActionsGoGolden compares actions/actions.go and actions/handlers.go
// for chinookActions, and for a project without actions, with
// testdata/golden/actions/.
func TestActionsGoGolden(t *testing.T) {
	for _, name := range []string{"chinook", "none"} {
		t.Run(name, func(t *testing.T) {
			p := chinookProject(t)
			if name == "chinook" {
				chinookActions(p.Metadata)
			}
			gen, err := templates.ActionsGo(p, "hasgen.yaml")
			if err != nil {
				t.Fatal(err)
			}
			user, err := templates.ActionHandlers(p)
			if err != nil {
				t.Fatal(err)
			}
			for file, b := range map[string][]byte{"actions.go": gen, "handlers.go": user} {
				formatted, err := format.Source(b)
				if err != nil {
					t.Fatalf("%s does not parse: %v\n%s", file, err, b)
				}
				if string(formatted) != string(b) {
					t.Errorf("%s is not gofmt'd", file)
				}
				golden.Compare(t, filepath.Join(golden.Dir(t), "actions", name, file+".txt"), b)
			}
		})
	}
}
