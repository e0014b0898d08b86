package example_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

// TestTypedClientService runs server/service, which calls the API through
// the typed client (server/client, generated from server/operations) over
// HTTP against the running server and in process on the database, as the
// same user: both ways must answer the same, filtered by the user's
// permissions, with Hasura's error for a forbidden post.
func TestTypedClientService(t *testing.T) {
	url := pgtest.NewDatabase(t, "schema.sql")
	ctx := context.Background()
	b, err := e2e.BuildDir(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(b.Binary))
	svc, err := e2e.BuildDir(ctx, "server/service")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(svc.Binary))
	srv, err := b.Start(ctx, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url,
		"HASURA_GRAPHQL_ADMIN_SECRET": "admin-secret",
		"HASURA_GRAPHQL_JWT_SECRET":   `{"type":"HS256","key":"` + jwtKey + `"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	// Brian (user 2) is in general (1) and random (3), not in the private
	// engineering (2).
	cmd := exec.CommandContext(ctx, svc.Binary, "-url", srv.URL+"/v1/graphql", "-token", token(t, "user", "2"), "-user", "2", "-channel", "3", "-foreign", "2")
	cmd.Env = append(os.Environ(), "HASURA_GRAPHQL_DATABASE_URL="+url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("service: %v\n%s", err, stderr.String())
	}

	type message struct {
		Body   string `json:"body"`
		Author struct {
			Name string `json:"name"`
		} `json:"author"`
	}
	type answers struct {
		Channels struct {
			Channels []struct {
				Typename  string    `json:"__typename"`
				Name      string    `json:"name"`
				IsPrivate bool      `json:"isPrivate"`
				Latest    []message `json:"latest"`
			} `json:"channels"`
		} `json:"channels"`
		Orders struct {
			Orders []struct {
				Status  string          `json:"status"`
				Total   json.Number     `json:"total"`
				Invoice json.RawMessage `json:"invoice"`
			} `json:"orders"`
		} `json:"orders"`
		Posted struct {
			Message message `json:"insert_messages_one"`
		} `json:"posted"`
		Refused  json.RawMessage `json:"refused"`
		Compiled []string        `json:"compiled"`
	}
	var got map[string]answers
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, way := range []string{"http", "local"} {
		a, ok := got[way]
		if !ok {
			t.Fatalf("no %s answers:\n%s", way, stdout.String())
		}
		var names []string
		for _, c := range a.Channels.Channels {
			names = append(names, c.Name)
			if c.Typename != "channels" || c.IsPrivate {
				t.Errorf("%s: channel %s: __typename %q, isPrivate %v", way, c.Name, c.Typename, c.IsPrivate)
			}
		}
		// The permission case: engineering is not Brian's, and must not
		// come back either way.
		if diff := cmp.Diff([]string{"general", "random"}, names); diff != "" {
			t.Errorf("%s: channels (-want +got):\n%s", way, diff)
		}
		// Brian has one order; Ada's and Eve's must not come back.
		if len(a.Orders.Orders) != 1 || a.Orders.Orders[0].Status != "preparing" || a.Orders.Orders[0].Total.String() != "23.90" {
			t.Errorf("%s: orders %+v", way, a.Orders.Orders)
		}
		p := a.Posted.Message
		if p.Body != "posted "+way || p.Author.Name != "Brian" {
			t.Errorf("%s: posted %+v", way, p)
		}
		want := `{"message":"check constraint of an insert/update permission has failed","extensions":{"path":"$.selectionSet.insert_messages_one.args.object","code":"permission-error"}}`
		var refused bytes.Buffer
		if err := json.Compact(&refused, a.Refused); err != nil || refused.String() != want {
			t.Errorf("%s: refused (%v)\n got %s\nwant %s", way, err, refused.String(), want)
		}
	}
	// The client sends the compiled documents: in process, every call
	// was answered from the compiled set, the refused post included.
	if diff := cmp.Diff([]string{"MyChannels", "OrdersByStatus", "SendMessage", "SendMessage"}, got["local"].Compiled); diff != "" {
		t.Errorf("compiled calls in process (-want +got):\n%s", diff)
	}
	// Both ways read the same rows: general alike; random's latest
	// messages as they were for the HTTP way, then with the HTTP way's
	// post for the local way, which ran after it.
	h, l := got["http"].Channels.Channels, got["local"].Channels.Channels
	if len(h) != 2 || len(l) != 2 {
		t.Fatalf("channels: http %+v, local %+v", h, l)
	}
	if diff := cmp.Diff(h[0], l[0]); diff != "" {
		t.Errorf("general differs between HTTP and in process (-http +local):\n%s", diff)
	}
	latest := func(ms []message) (out []string) {
		for _, m := range ms {
			out = append(out, m.Author.Name+": "+m.Body)
		}
		return out
	}
	if diff := cmp.Diff([]string{"Eve: Me!", "Brian: Anyone for lunch?"}, latest(h[1].Latest)); diff != "" {
		t.Errorf("random over HTTP (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Brian: posted http", "Eve: Me!"}, latest(l[1].Latest)); diff != "" {
		t.Errorf("random in process (-want +got):\n%s", diff)
	}
}
