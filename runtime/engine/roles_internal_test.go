package engine

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// TestRolesLoadOnFirstUse: a role's schema is loaded by its first request,
// not at start; one that does not load fails its requests with an error
// that says so, and no other role's.
func TestRolesLoadOnFirstUse(t *testing.T) {
	notes := &catalog.Table{Schema: "public", Name: "notes", Type: "notes",
		Columns:    []catalog.Column{{Name: "id", Field: "id", Type: "int4"}},
		PrimaryKey: []string{"id"},
		Roots:      catalog.RootFields{Select: "notes"},
		Permissions: []catalog.RolePermissions{
			{Role: "broken", Select: &catalog.SelectPermission{Columns: []string{"id"}, Limit: -1}},
			{Role: "ok", Select: &catalog.SelectPermission{Columns: []string{"id"}, Limit: -1}},
			{Role: "same", Select: &catalog.SelectPermission{Columns: []string{"id"}, Limit: -1}},
		},
	}
	full := "schema { query: query_root }\ntype query_root {\n  notes: [notes!]!\n}\ntype notes {\n  id: Int!\n}\n"
	fsys := fstest.MapFS{
		"full.graphqls": {Data: []byte(full)},
		// Only what differs from full.graphqls: notes comes from there.
		"roles/ok.graphqls":     {Data: []byte("schema { query: query_root }\ntype query_root {\n  notes: [notes!]!\n}\n")},
		"roles/broken.graphqls": {Data: []byte("schema { query: query_root }\ntype query_root {\n  notes: [nowhere!]!\n}\n")},
		// Its root type is full.graphqls's too: only the schema is written.
		"roles/same.graphqls": {Data: []byte("schema { query: query_root }\n")},
	}
	e, err := New(Config{Tables: []*catalog.Table{notes}, Schemas: fsys}, nil)
	if err != nil {
		t.Fatalf("a role that does not load stopped the start: %v", err)
	}
	for _, role := range []string{"ok", "broken", "same"} {
		if e.roles[role].r != nil || e.roles[role].err != nil {
			t.Errorf("role %s loaded at start", role)
		}
	}
	ctx := context.Background()
	for _, role := range []string{"ok", "same"} {
		if _, err := e.Prepare(ctx, &session.Session{Role: role}, &wire.Request{Query: "{ notes { id } }"}); err != nil {
			t.Errorf("role %s: %v", role, err)
		}
	}
	if s, _ := e.Schema("same"); s == nil || s.Query == e.base.byName["query_root"] {
		t.Error("role same's root type is full.graphqls's own, which validation changes: it must be a copy")
	}
	if e.roles["broken"].r != nil {
		t.Error("role broken loaded by another role's request")
	}
	_, err = e.Prepare(ctx, &session.Session{Role: "broken"}, &wire.Request{Query: "{ notes { id } }"})
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeUnexpected || we.Message != "the schema of role broken does not load" {
		t.Errorf("role broken: %v", err)
	}
	s, err := e.Schema("ok")
	if err != nil || s.Types["notes"] == nil || s.Types["notes"] != e.base.byName["notes"] {
		t.Errorf("role ok does not share full.graphqls's notes: %v", err)
	}
}
