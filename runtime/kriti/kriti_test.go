package kriti_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/kriti"
)

// body is an event trigger payload, as Hasura sends it.
const body = `{
  "event": {
    "op": "INSERT",
    "session_variables": {"x-hasura-role": "user", "x-hasura-user-id": "42"},
    "data": {"old": null, "new": {"AlbumId": 348, "Title": "Vs. <Live> & Loud", "ArtistId": 1, "Tags": ["rock", null, "live"], "Price": 9.99}}
  },
  "created_at": "2026-12-05T12:00:00.000Z",
  "id": "85558393-c75d-4d2f-9c15-e80591b83894",
  "trigger": {"name": "Album_insert"},
  "table": {"schema": "public", "name": "Album"},
  "big": 12345678901234567890,
  "empty": "",
  "items": [{"id": 1, "ok": true}, {"id": 2, "ok": false}, {"id": 3, "ok": true}],
  "a b": "spaced"
}`

func vars(t testing.TB) map[string]any {
	t.Helper()
	b, err := kriti.DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"$body":              b,
		"$base_url":          "http://example.com/hook",
		"$session_variables": map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "42"},
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		name, tmpl, want string
	}{
		{"literal object", `{"a": [1, 2.5, -3e2], "b": "x", "c": true, "d": null}`, `{"a":[1,2.5,-300],"b":"x","c":true,"d":null}`},
		{"path", `{{ $body.event.data.new.AlbumId }}`, `348`},
		{"path in object", `{"id": {{$body.event.data.new.AlbumId}}, "t": {{$body.table.name}}}`, `{"id":348,"t":"Album"}`},
		{"objects close without spaces", `{"a":{"b":{{$body.table.name}}}}`, `{"a":{"b":"Album"}}`},
		{"bracket key", `{{ $body['a b'] }}`, `"spaced"`},
		{"bracket key with hyphen", `{{ $session_variables['x-hasura-user-id'] }}`, `"42"`},
		{"array index", `{{ $body.event.data.new.Tags[2] }}`, `"live"`},
		{"index expression", `{{ $body.items[size($body.items) == 3 ?? 0] ?? 1 }}`, ``},
		{"nested index", `{{ $body.items[1].id }}`, `2`},
		{"big integer keeps digits", `{{ $body.big }}`, `12345678901234567890`},
		{"html not escaped", `{{ $body.event.data.new.Title }}`, `"Vs. <Live> & Loud"`},
		{"optional missing", `{{ $body?.nope }}`, `null`},
		{"optional chain short-circuits", `{{ $body?.nope.deeper.still }}`, `null`},
		{"optional bracket", `{{ $body?['nope'] }}`, `null`},
		{"optional present", `{{ $body?.table.name }}`, `"Album"`},
		{"optional index out of range", `{{ $body.items?[7] }}`, `null`},
		{"optional through null", `{{ $body.event.data?.old.AlbumId }}`, `null`},
		{"default", `{{ $body?.nope ?? "fallback" }}`, `"fallback"`},
		{"default keeps value", `{{ $body.table.name ?? "fallback" }}`, `"Album"`},
		{"default keeps false", `{{ $body.items[1].ok ?? true }}`, `false`},
		{"interpolation", `"{{$base_url}}/albums/{{$body.event.data.new.AlbumId}}"`, `"http://example.com/hook/albums/348"`},
		{"interpolation of bool and null", `"{{true}}-{{ $body.event.data.old }}"`, `"true-null"`},
		{"interpolation of object", `"x={{ $body.table }}"`, `"x={\"name\":\"Album\",\"schema\":\"public\"}"`},
		{"escapes", `"tab\tquote\"uni\u00e9\ud83d\ude00"`, `"tab\tquote\"unié😀"`},
		{"if", `{{ if $body.event.op == "INSERT" }} "new" {{ else }} "old" {{ end }}`, `"new"`},
		{"else", `{{ if $body.event.op == "DELETE" }} 1 {{ else }} 2 {{ end }}`, `2`},
		{"elif", `{{ if $body.event.op == "DELETE" }} 1 {{ elif $body.event.op == "INSERT" }} 2 {{ else }} 3 {{ end }}`, `2`},
		{"elif falls to else", `{{ if false }} 1 {{ elif false }} 2 {{ else }} 3 {{ end }}`, `3`},
		{"range", `{{ range i, x := $body.items }} {"i": {{i}}, "id": {{x.id}}} {{ end }}`, `[{"i":0,"id":1},{"i":1,"id":2},{"i":2,"id":3}]`},
		{"range no index", `{{ range _, x := $body.event.data.new.Tags }} {{ x }} {{ end }}`, `["rock",null,"live"]`},
		{"range with if", `{{ range _, x := $body.items }} {{ if x.ok }} {{x.id}} {{ else }} null {{ end }} {{ end }}`, `[1,null,3]`},
		{"range of literal", `{{ range i, x := [10, 20] }} {{ i }} {{ end }}`, `[0,1]`},
		{"comparisons", `[{{1 < 2}}, {{2 <= 2}}, {{3 > 4}}, {{"b" >= "a"}}, {{1 != 1.0}}, {{1 == 1.0}}]`, `[true,true,false,true,false,true]`},
		{"big number compare", `{{ $body.big > 12345678901234567889 }}`, `true`},
		{"and or", `[{{true && false}}, {{true || false}}, {{ not true }}, {{ not (1 > 2) }}]`, `[false,true,false,true]`},
		{"precedence", `{{ 1 < 2 && 3 > 2 || false }}`, `true`},
		{"in array", `{{ "live" in $body.event.data.new.Tags }}`, `true`},
		{"in object", `{{ "AlbumId" in $body.event.data.new }}`, `true`},
		{"deep equality", `{{ [1, {"a": 2}] == [1, {"a": 2.0}] }}`, `true`},
		{"empty", `[{{empty("")}}, {{empty(" ")}}, {{empty([1])}}, {{empty({})}}, {{empty(0)}}, {{empty(null)}}]`, `[true,true,false,true,true,true]`},
		{"size", `[{{size("asdf")}}, {{size([1])}}, {{size({"a":1})}}, {{size(true)}}, {{size(null)}}, {{size(7)}}]`, `[4,1,1,1,0,7]`},
		{"inverse", `[{{inverse("asdf")}}, {{inverse([1,2,3])}}, {{inverse(4)}}, {{inverse(true)}}]`, `["fdsa",[3,2,1],0.25,false]`},
		{"head tail", `[{{head("asdf")}}, {{head([1,2,3])}}, {{tail("asdf")}}, {{tail([1,2,3])}}]`, `["a",1,"sdf",[2,3]]`},
		{"case", `[{{toCaseFold("AbCd")}}, {{toLower("AbCd")}}, {{toUpper("AbCd")}}, {{toTitle("hello wORLD-x")}}]`, `["abcd","abcd","ABCD","Hello World-X"]`},
		{"case fold sharp s", `{{ toCaseFold("Straße") }}`, `"strasse"`},
		{"pairs", `[{{fromPairs([["a",1],["b",2]])}}, {{toPairs({"b": 2, "a": 1})}}]`, `[{"a":1,"b":2},[["a",1],["b",2]]]`},
		{"removeNulls", `{{ removeNulls($body.event.data.new.Tags) }}`, `["rock","live"]`},
		{"concat", `[{{concat([[1,2],[3,4]])}}, {{concat(["abc","def","g"])}}, {{concat([{"a":1,"b":2},{"b":3,"c":4}])}}]`, `[[1,2,3,4],"abcdefg",{"a":1,"b":3,"c":4}]`},
		{"escapeUri call", `{{ escapeUri("a b/c?d=é") }}`, `"a%20b%2Fc%3Fd%3D%C3%A9"`},
		{"escapeUri juxtaposed", `"{{$base_url}}/{{escapeUri $session_variables['x-hasura-user-id']}}"`, `"http://example.com/hook/42"`},
		{"getSessionVariable", `{{ getSessionVariable("X-Hasura-User-Id") }}`, `"42"`},
		{"function of path", `{{ toUpper($body.table.name) }}`, `"ALBUM"`},
		{"conditional", `[{{ $body.event.op == "INSERT" ? "ins" : "other" }}, {{ false ? 1 : true ? 2 : 3 }}]`, `["ins",2]`},
		{"conditional after optional chain", `{{ $body?.nope.x ?? 0 == 0 ? "none" : "some" }}`, `"none"`},
		{"keyword field names", `[{{ {"in": 1, "end": 2}.in }}, {{ {"end": 2}?.end }}]`, `[1,2]`},
		{"juxtaposed calls", `{"a": {{ size $body.items }}, "b": {{ toUpper (head $body.table.name) }}, "c": {{ not (empty $body.items) }}, "d": {{ toPairs {"k": 1} }}, "e": {{ concat [[1], [2]] }}}`, `{"a":3,"b":"A","c":true,"d":[["k",1]],"e":[1,2]}`},
		{"juxtaposed over a range", `{{ concat {{ range i, x := $body.items }} [{{ i }}, {{ x.id }}] {{ end }} }}`, `[0,1,1,2,2,3]`},
		{"juxtaposed removeNulls of if", `{{ removeNulls {{ range i, x := $body.items }} {{ if i > 0 }} {{ fromPairs [["id", {{ x.id }}]] }} {{ else }} null {{ end }} {{ end }} }}`, `[{"id":2},{"id":3}]`},
		{"comments", "# the album\n{\"id\": {{ $body.event.data.new.AlbumId }} # its id\n}", `{"id":348}`},
		{"hash inside a string is text", `"a # b"`, `"a # b"`},
		{"identifier starting with a keyword", `{{ range _, notes := [1] }} {{ notes }} {{ end }}`, `[1]`},
		{"parenthesised", `{{ ($body.table).name }}`, `"Album"`},
		{"bare expression", `$body.table.schema`, `"public"`},
		{"duplicate key keeps first", `{"a": 1, "a": 2}`, `{"a":1}`},
		{"empty containers", `{"a": [], "b": {}, "c": ""}`, `{"a":[],"b":{},"c":""}`},
		{"chinook cron template", "{\n  \"operationName\": \"CreateAlbum\",\n  \"query\": \"mutation CreateAlbum { insert_Album(objects: [{ Title: \\\"random album\\\", ArtistId: 1}]) {affected_rows}}\",\n  \"variables\": null\n}",
			`{"operationName":"CreateAlbum","query":"mutation CreateAlbum { insert_Album(objects: [{ Title: \"random album\", ArtistId: 1}]) {affected_rows}}","variables":null}`},
	}
	sess := kriti.SessionFunctions(map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := kriti.Parse(tc.tmpl)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := kriti.EvalJSON(tmpl, vars(t), sess)
			if tc.want == "" {
				// The index expression case: a Boolean index is an error.
				if err == nil {
					t.Fatalf("want an error, got %s", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestNumbers pins how numbers are written: as Aeson writes Haskell's
// Scientific, so that bodies match Hasura's byte for byte.
func TestNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"7", "7"}, {"-12", "-12"}, {"100", "100"},
		{"1e3", "1000"}, {"1.5e3", "1500"}, {"2.50e1", "25.0"}, {"12345678901234567890", "12345678901234567890"},
		{"1.0", "1.0"}, {"2.50", "2.5"}, {"9.99", "9.99"}, {"0.25", "0.25"}, {"0.1", "0.1"}, {"-0.5", "-0.5"},
		{"0.0", "0.0"}, {"1234567.5", "1234567.5"}, {"12345678.9", "1.23456789e7"},
		{"0.05", "5.0e-2"}, {"1.5e-10", "1.5e-10"}, {"-3E-2", "-3.0e-2"}, {"1e2000", "1.0e2000"}, {"120.0", "120.0"},
	}
	for _, tc := range tests {
		got, err := kriti.Marshal(json.Number(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "01", "1.", ".5", "1e", "1x", "--1", "NaN"} {
		if got, err := kriti.Marshal(json.Number(bad)); err == nil {
			t.Errorf("%q: got %s, want an error", bad, got)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name, tmpl string
		line, col  int
		msg        string
	}{
		{"missing key", `{"a": {{ $body.nope }}}`, 1, 16, `key "nope" not found`},
		{"undefined variable", `{{ $nope }}`, 1, 4, "variable $nope is not defined"},
		{"index out of range", "{\n  \"x\": {{ $body.items[9] }}\n}", 2, 22, "index 9 out of range (length 3)"},
		{"key on array", `{{ $body.items.id }}`, 1, 16, `cannot look up key "id" in Array`},
		{"index on object", `{{ $body.table[0] }}`, 1, 15, "cannot index Object with 0"},
		{"fractional index", `{{ $body.items[0.5] }}`, 1, 15, "must be an integer"},
		{"non-boolean condition", `{{ if $body.table }} 1 {{ else }} 2 {{ end }}`, 1, 7, "the condition is Object, not a Boolean"},
		{"and of non-boolean", `{{ true && 1 }}`, 1, 4, "&& expects Booleans, found Number"},
		{"range over object", `{{ range _, x := $body.table }} 1 {{ end }}`, 1, 18, "range expects an Array, found Object"},
		{"function type", `{{ toUpper(1) }}`, 1, 12, "toUpper: parsing String failed, expected String, but encountered Number"},
		{"head of empty", `{{ head([]) }}`, 1, 9, "head: empty array"},
		{"empty of boolean", `{{ empty(true) }}`, 1, 10, "cannot define emptiness for a boolean"},
		{"fromPairs shape", `{{ fromPairs([[1, 2]]) }}`, 1, 14, "with String keys"},
		{"concat mixed", `{{ concat([[1], "a"]) }}`, 1, 11, "cannot concat an Array with a String"},
		{"inverse zero", `{{ inverse(0) }}`, 1, 12, "division by zero"},
		{"session variable missing", `{{ getSessionVariable("x-hasura-org") }}`, 1, 23, `session variable "x-hasura-org" not found`},
		{"not of string", `{{ not "a" }}`, 1, 4, "not: expected a Boolean, found String"},
		{"in string", `{{ 1 in "abc" }}`, 1, 4, "in expects an Object or Array"},
		{"optional through scalar", `{{ $body.empty?.x }}`, 1, 17, `"" is not an Object or Array`},
	}
	sess := kriti.SessionFunctions(map[string]string{"x-hasura-role": "user"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := kriti.Parse(tc.tmpl)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := kriti.EvalJSON(tmpl, vars(t), sess)
			var ke *kriti.Error
			if !errors.As(err, &ke) {
				t.Fatalf("want a *kriti.Error, got %v (output %s)", err, got)
			}
			if ke.Line != tc.line || ke.Col != tc.col || !strings.Contains(ke.Msg, tc.msg) {
				t.Errorf("got %d:%d: %s\nwant %d:%d: …%s…", ke.Line, ke.Col, ke.Msg, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, tmpl string
		line, col  int
		msg        string
	}{
		{"empty", "  ", 1, 1, "empty template"},
		{"unclosed template", `{"a": {{ $body.x }`, 1, 18, "expected }} to close {{"},
		{"unknown function", "{\n  \"a\": {{ frobnicate($body) }}\n}", 2, 11, `unknown function "frobnicate"`},
		{"unterminated string", `{"a": "abc`, 1, 7, "unterminated string"},
		{"missing else", `{{ if true }} 1 {{ end }}`, 1, 17, "has no {{ else }}"},
		{"else without if", `{{ else }}`, 1, 1, "{{ else }} without an open"},
		{"missing end", `{{ range _, x := [1] }} 1`, 1, 26, "expected {{ end }} for the {{ range }} at 1:1"},
		{"bad range binder", `{{ range i, _ := [1] }} 1 {{ end }}`, 1, 13, `"_" cannot name a range binder`},
		{"trailing garbage", `{"a": 1} 2`, 1, 10, "after the template's value"},
		{"interpolated key", `{"{{ $body.k }}": 1}`, 1, 2, "an object key cannot hold {{ }}"},
		{"bad character", `{"a": 1 @ 2}`, 1, 9, "unexpected character '@'"},
		{"backquoted string", "`id_${$.id}`", 1, 1, "backquoted strings are not Kriti"},
		{"malformed number", `{"a": 1.}`, 1, 7, "malformed number"},
		{"bad escape", `"a\qb"`, 1, 3, `unknown escape \q`},
		{"keyword as variable", `{{ end }}`, 1, 1, "without an open"},
		{"missing colon", `{"a" 1}`, 1, 6, `expected ":" after object key`},
		{"lone question", `{{ $body? }}`, 1, 11, `unexpected "}"`},
		{"conditional without colon", `{{ true ? 1 2 }}`, 1, 13, `expected ":" of c ? a : b`},
		{"column counts characters", `"é{{ $x`, 1, 8, "expected }} to close"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kriti.Parse(tc.tmpl)
			var ke *kriti.Error
			if !errors.As(err, &ke) {
				t.Fatalf("want a *kriti.Error, got %v", err)
			}
			if ke.Line != tc.line || ke.Col != tc.col || !strings.Contains(ke.Msg, tc.msg) {
				t.Errorf("got %d:%d: %s\nwant %d:%d: …%s…", ke.Line, ke.Col, ke.Msg, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestParseInterpolated(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{`{{$base_url}}/api/v3/endpoint`, `http://example.com/hook/api/v3/endpoint`},
		{`Bearer {{ $session_variables['x-hasura-user-id'] }}`, `Bearer 42`},
		{`plain text`, `plain text`},
		{`{{ $body.event.data.new.AlbumId }}`, `348`},
		{`{{ $body.event.data.new.Price }}`, `9.99`},
	}
	for _, tc := range tests {
		tmpl, err := kriti.ParseInterpolated(tc.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		v, err := kriti.Eval(tmpl, vars(t), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		if v != tc.want {
			t.Errorf("%s: got %#v, want %q", tc.tmpl, v, tc.want)
		}
	}
	// Columns count from the template, not from the quote Hasura adds.
	_, err := kriti.ParseInterpolated(`{{$base_url}}/{{ nope( }}`)
	var ke *kriti.Error
	if !errors.As(err, &ke) || ke.Line != 1 || ke.Col != 18 || !strings.Contains(ke.Msg, `unknown function "nope"`) {
		t.Errorf("got %v, want 1:18: unknown function", err)
	}
	if _, err := kriti.ParseInterpolated(`say "hi"`); err == nil {
		t.Error("an unescaped quote must be refused, as Hasura does")
	}
}

func TestVars(t *testing.T) {
	tmpl, err := kriti.Parse("{\"a\": {{ $body.x }},\n \"b\": {{ range i, x := $nope }} [{{ x.y }}, {{ i }}] {{ end }}}")
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl.Vars()
	want := []kriti.VarRef{{Name: "$body", Line: 1, Col: 10}, {Name: "$nope", Line: 2, Col: 24}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got[i], want[i])
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", kriti.MaxDepth+5) + strings.Repeat("]", kriti.MaxDepth+5)
	_, err := kriti.Parse(deep)
	var ke *kriti.Error
	if !errors.As(err, &ke) || !strings.Contains(ke.Msg, "nested deeper than 200") {
		t.Errorf("deep template: got %v", err)
	}
	deepNot := strings.Repeat("not ", 100000) + "true"
	if _, err := kriti.Parse("{{ " + deepNot + " }}"); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("deep not: got %v", err)
	}
	// Nested ranges over a 200-element array: 200^3 bodies exceed the step
	// budget, which stops the evaluation with an error instead of running on.
	tmpl, err := kriti.Parse(`{{ range _, a := $xs }} {{ range _, b := $xs }} {{ range _, c := $xs }} {{ c }} {{ end }} {{ end }} {{ end }}`)
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]any, 200)
	for i := range xs {
		xs[i] = "x"
	}
	_, err = kriti.Eval(tmpl, map[string]any{"$xs": xs}, nil)
	if !errors.As(err, &ke) || !strings.Contains(ke.Msg, "evaluation steps") {
		t.Errorf("costly template: got %v", err)
	}
	// A range may repeat a large value: the output is bounded.
	big := strings.Repeat("x", 1<<20)
	rep, err := kriti.Parse(`{{ range _, x := $xs }} {{ $big }} {{ end }}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kriti.EvalJSON(rep, map[string]any{"$xs": xs[:100], "$big": big}, nil)
	if !errors.As(err, &ke) || !strings.Contains(ke.Msg, "exceeds 67108864 bytes") {
		t.Errorf("large output: got %v", err)
	}
	// So are the strings a template builds.
	str, err := kriti.Parse(`{{ range _, x := $xs }} "{{ $big }}" {{ end }}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kriti.Eval(str, map[string]any{"$xs": xs, "$big": big}, nil)
	if !errors.As(err, &ke) || !strings.Contains(ke.Msg, "evaluation steps") {
		t.Errorf("large strings: got %v", err)
	}
	// Within budget it runs.
	if _, err := kriti.Eval(tmpl, map[string]any{"$xs": xs[:20]}, nil); err != nil {
		t.Errorf("20^3 template: %v", err)
	}
}
