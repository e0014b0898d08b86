package metadata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hasgen/hasgen/runtime/actions"
)

const actionsDatabases = "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"

// TestActions reads actions.yaml with actions.graphql: the definition,
// Hasura's defaults (timeout 30 s), the permissions and the types.
func TestActions(t *testing.T) {
	m, err := loadString(t,
		"metadata/databases/databases.yaml", actionsDatabases,
		"metadata/actions.graphql", `type Mutation {
  "Logs in."
  login(creds: Creds!, mode: Mode = FAST): Token
}

extend type Query {
  whoami: [Token!]!
}

input Creds { username: String! password: String! }
enum Mode { FAST SLOW }
scalar Secret
type Token { accessToken: Secret! id: uuid }
`,
		"metadata/actions.yaml", `actions:
  - name: login
    definition:
      kind: synchronous
      handler: '{{AUTH_URL}}/login'
      forward_client_headers: true
      headers:
        - {name: x-a, value: a}
        - {name: x-b, value_from_env: B}
      timeout: 5
      request_transform: {version: 2, template_engine: Kriti, body: {action: transform, template: '{"u": {{$body.input.creds.username}}}'}}
    comment: Log in
    permissions: [{role: user}, {role: anonymous}]
  - name: whoami
    definition: {handler: http://who}
custom_types:
  input_objects: [{name: Creds}]
  enums: [{name: Mode}]
  scalars: [{name: Secret}]
  objects: [{name: Token}]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Unsupported) > 0 {
		t.Fatalf("unsupported: %v", m.Unsupported)
	}
	type got struct {
		Action      actions.Action
		Comment     string
		Description string
		Roles       []string
		Args        []CustomField
	}
	var gots []got
	for _, a := range m.Actions {
		g := got{Action: a.Action, Comment: a.Comment, Description: a.Description, Roles: a.Roles}
		for _, arg := range a.Args {
			g.Args = append(g.Args, *arg)
		}
		gots = append(gots, g)
	}
	want := []got{
		{Action: actions.Action{Name: "login", Mutation: true, Handler: "{{AUTH_URL}}/login", ForwardClientHeaders: true,
			Headers:    []actions.Header{{Name: "x-a", Value: "a"}, {Name: "x-b", ValueFromEnv: "B"}},
			TimeoutSec: 5, OutputType: "Token",
			RequestTransform: json.RawMessage(`{"body":{"action":"transform","template":"{\"u\": {{$body.input.creds.username}}}"},"template_engine":"Kriti","version":2}`)},
			Comment: "Log in", Description: "Logs in.", Roles: []string{"anonymous", "user"},
			Args: []CustomField{{Name: "creds", Type: "Creds!"}, {Name: "mode", Type: "Mode", Default: "FAST"}}},
		{Action: actions.Action{Name: "whoami", Handler: "http://who", TimeoutSec: 30, OutputType: "[Token!]!"}},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	var types []string
	for _, ct := range m.CustomTypes {
		types = append(types, ct.Kind+" "+ct.Name)
	}
	if diff := cmp.Diff([]string{"input Creds", "enum Mode", "scalar Secret", "type Token"}, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"anonymous", "user"}, m.Roles()); diff != "" {
		t.Errorf("roles: the actions' roles have a schema (-want +got):\n%s", diff)
	}
}

// TestActionErrors: each mistake is reported where it is, by name.
func TestActionErrors(t *testing.T) {
	cases := []struct {
		name, graphql, yaml string
		want                []string
	}{
		{"graphql syntax", "type Query { a: Int\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:2:1: actions.graphql: Expected Name, found <EOF>`}},
		{"undefined type", "type Query {\n  a(x: Nope): Int\n}\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:2:5: actions.graphql: action "a": argument "x": type "Nope" is not defined`}},
		{"object as input", "type Query {\n  a(x: O): O\n}\ntype O { id: Int }\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:2:5: actions.graphql: action "a": argument "x": O is an object type, and an input takes a scalar, an enum or an input type`}},
		{"input as output", "type Query {\n  a: I\n}\ninput I { id: Int }\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:2:3: actions.graphql: action "a": output: I is an input type, and an output takes a scalar, an enum or an object type`}},
		{"not in yaml", "type Query {\n  a: Int\n  b: Int\n}\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:3:3: actions.graphql: action "b" has no entry in actions.yaml`}},
		{"not in graphql", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition: {handler: http://a}\n  - name: c\n    definition: {handler: http://c}\n",
			[]string{`metadata/actions.yaml:4:11: action "c": actions.graphql defines no field c under type Query or type Mutation`}},
		{"no handler", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition: {kind: synchronous}\n",
			[]string{`metadata/actions.yaml:3:17: action "a" definition: the definition has no handler`}},
		{"bad kind, timeout", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition: {kind: sync, handler: http://a, timeout: 0}\n",
			[]string{`metadata/actions.yaml:3:24: action "a" definition: kind must be synchronous or asynchronous, not "sync"`,
				`metadata/actions.yaml:3:58: action "a" definition: timeout must be at least 1 second`}},
		{"asynchronous query", "type Query { a: O }\ntype O { id: Int }\n", "actions:\n  - name: a\n    definition: {kind: asynchronous, handler: http://a}\n",
			[]string{`metadata/actions.yaml:3:24: action "a": only actions of type mutation can be asynchronous; a is a query`}},
		{"unknown key", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition: {handler: http://a}\n    permission: []\n",
			[]string{`metadata/actions.yaml:4:5: actions.yaml: unknown key "permission" in an action`}},
		{"bad transform", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition:\n      handler: http://a\n      request_transform:\n        version: 2\n        body: {action: transform, template: '{{'}\n",
			[]string{"metadata/actions.yaml:6:9: action \"a\" definition: request_transform.body.template:"}},
		{"bad response transform", "type Query { a: Int }\n", "actions:\n  - name: a\n    definition:\n      handler: http://a\n      response_transform:\n        version: 2\n        body: {action: transform, template: '{{ $base_url }}'}\n",
			[]string{"metadata/actions.yaml:6:9: action \"a\" definition: response_transform.body.template:1:4: variable $base_url is not defined"}},
		{"relationship mistakes", "type Query {\n  a: O\n}\ntype O { id: Int }\n", `actions: [{name: a, definition: {handler: http://a}}]
custom_types:
  objects:
    - name: O
      relationships:
        - {name: r, type: object, remote_table: nope, field_mapping: {id: id}}
        - {name: s, type: many, remote_table: orgs, field_mapping: {id: id}}
        - {name: u, type: array, remote_table: orgs, field_mapping: {idx: nocol}}
`, []string{
			`metadata/actions.yaml:6:49: custom type "O": remote_table public.nope is not a tracked table`,
			`metadata/actions.yaml:7:11: custom type "O": relationship "s": type must be object or array, not "many"`,
			`metadata/actions.yaml:8:70: custom type "O": relationship "u": type O has no field "idx"`,
			`metadata/actions.yaml:8:75: custom type "O": relationship "u": column "nocol" is not in public.orgs`,
		}},
		{"table type from a webhook", "type Query {\n  a: orgs\n}\n", "actions: [{name: a, definition: {handler: http://a}}]\n",
			[]string{`metadata/actions.graphql:2:3: actions.graphql: action "a": output: type "orgs" is not defined (a tracked table's type may be the output of an action only when its handler is "go"`}},
		{"non-null table row", "type Query {\n  a: orgs!\n}\n", "actions: [{name: a, definition: {handler: go}}]\n",
			[]string{`metadata/actions.graphql:2:3: actions.graphql: action "a": output: a row may be hidden from the caller's role: write orgs, not orgs!`}},
		{"custom type missing", "type Query { a: Int }\n", "actions: [{name: a, definition: {handler: http://a}}]\ncustom_types: {objects: [{name: Gone}]}\n",
			[]string{`metadata/actions.yaml:2:26: actions.yaml custom_types.objects: type "Gone" is not defined in metadata/actions.graphql`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t, "metadata/databases/databases.yaml", actionsDatabases,
				"metadata/actions.graphql", c.graphql, "metadata/actions.yaml", c.yaml)
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("got  %s\nwant %s", got[i], c.want[i])
				}
			}
		})
	}
}

// TestAsyncActions: kind asynchronous is read on a mutation with an
// object output type; one whose output is a scalar is reported, not
// served.
func TestAsyncActions(t *testing.T) {
	m, err := loadString(t,
		"metadata/databases/databases.yaml", actionsDatabases,
		"metadata/actions.graphql", "type Mutation {\n  order(item: String!): Out\n  count(item: String!): Int\n}\ntype Out { id: Int! }\n",
		"metadata/actions.yaml", "actions:\n  - name: order\n    definition: {kind: asynchronous, handler: http://o, timeout: 7}\n    permissions: [{role: user}]\n  - name: count\n    definition: {kind: asynchronous, handler: http://c}\ncustom_types:\n  objects: [{name: Out}]\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Unsupported {
		got = append(got, e.Error())
	}
	want := []string{`metadata/actions.yaml:6:24: action "count": kind: asynchronous with the output type Int or a Go handler (an object type of actions.graphql and a webhook are served) is not supported by hasgen`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unsupported (-want +got):\n%s", diff)
	}
	if len(m.Actions) != 1 {
		t.Fatalf("%d actions served, want 1 (order)", len(m.Actions))
	}
	a := m.Actions[0]
	if a.Name != "order" || !a.Async || !a.Mutation || a.TimeoutSec != 7 || a.OutputType != "Out" || strings.Join(a.Roles, ",") != "user" {
		t.Errorf("order: %+v", a.Action)
	}
	b, _ := json.Marshal(a.Action)
	if !strings.Contains(string(b), `"async":true`) {
		t.Errorf("schema/actions.jsonc entry %s lacks async", b)
	}
}
