package remoteschema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiff names each change between a snapshot and the remote.
func TestDiff(t *testing.T) {
	old := `type Query { user(id: ID!): User, users: [User] }
type User { id: ID!, name: String, email: String }
enum Order { ASC DESC }
input F { a: Int }
union U = User
scalar Gone`
	now := `type Query { user(id: ID!, full: Boolean): User, users: [User!] }
type User { id: ID!, name: String!, phone: String }
enum Order { ASC }
input F { a: Int, b: Int }
union U = User | Post
type Post { id: ID! }`
	got, err := Diff(old, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"enum Order: value DESC removed",
		"type F: input field b added",
		"type Gone: removed",
		"type Post: added",
		"type Query: field user: argument full added",
		"type Query: field users was [User], is [User!]",
		"type User: field email removed",
		"type User: field name was String, is String!",
		"type User: field phone added",
		"union U: member Post added",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if same, _ := Diff(old, old); len(same) != 0 {
		t.Errorf("no change: %v", same)
	}
}
