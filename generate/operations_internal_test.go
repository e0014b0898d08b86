package generate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOperations(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// want is "Name kind file:line:col fragments" per operation.
		want []string
		// docs are the Documents of some operations, by name.
		docs map[string]string
		// errs are the lines the error must hold, in order.
		errs []string
	}{
		{
			name:  "no directory",
			files: nil,
		},
		{
			name: "operations and fragments across files, sorted by name",
			files: map[string]string{
				"b.graphql": "# channels\nquery Channels($limit: Int) {\n  channels(limit: $limit) { ...ChannelFields }\n}\n\nmutation   AddChannel($name: String!) { insert_channels_one(object: {name: $name}) { id } }\n",
				"a.graphql": "fragment ChannelFields on channels { id name members { ...Member } }\nfragment Member on channel_members { user_id }\nfragment Unused on users { id }\n",
			},
			want: []string{
				"AddChannel mutation operations/b.graphql:6:1 []",
				"Channels query operations/b.graphql:2:1 [ChannelFields Member]",
			},
			docs: map[string]string{
				"AddChannel": "mutation AddChannel ($name: String!) {\n  insert_channels_one(object: {name:$name}) {\n    id\n  }\n}\n",
				"Channels":   "query Channels ($limit: Int) {\n  channels(limit: $limit) {\n    ... ChannelFields\n  }\n}\nfragment ChannelFields on channels {\n  id\n  name\n  members {\n    ... Member\n  }\n}\nfragment Member on channel_members {\n  user_id\n}\n",
			},
		},
		{
			name: "every problem, with its place",
			files: map[string]string{
				"a.graphql": "query One { users { id } }\n{ users { id } }\nfragment F on users { id }\n",
				"b.graphql": "query One { users { ...G } }\nfragment F on users { name }\nquery Two { users { ...Missing } }\n",
				"c.graphql": "query Three { users { id }\n",
			},
			errs: []string{
				"operations/a.graphql:2:1: an operation of operations must be named: its name is the generated function's",
				`operations/b.graphql:2:1: fragment "F" is already defined at operations/a.graphql:3:1`,
				`operations/b.graphql:1:1: operation "One" is already defined at operations/a.graphql:1:1`,
				"operations/c.graphql:2:1: Expected Name, found <EOF>",
				`operations/b.graphql:3:24: unknown fragment "Missing": no file of operations defines it`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.files != nil {
				if err := os.Mkdir(filepath.Join(dir, dirOperations), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, dirOperations, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ops, err := loadOperations(dir)
			if tt.errs != nil {
				if err == nil {
					t.Fatalf("no error; want %q", tt.errs)
				}
				if diff := cmp.Diff(tt.errs, strings.Split(err.Error(), "\n")); diff != "" {
					t.Fatalf("errors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, op := range ops {
				var frags []string
				for _, f := range op.Fragments {
					frags = append(frags, f.Name)
				}
				got = append(got, op.Name+" "+string(op.Kind)+" "+op.Pos()+" ["+strings.Join(frags, " ")+"]")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			for _, op := range ops {
				if want, ok := tt.docs[op.Name]; ok {
					if diff := cmp.Diff(want, op.Document); diff != "" {
						t.Errorf("document of %s (-want +got):\n%s", op.Name, diff)
					}
				}
			}
		})
	}
}
