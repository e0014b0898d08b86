// Command service is a small service of the example app that calls the
// API through the typed client (package client, generated from
// operations/*.graphql) both ways: over HTTP as the user of a JWT, and in
// process on the database as the same user, with no HTTP hop. It prints
// what each way answered as one JSON object, so that the example's tests
// compare them:
//
//	go run ./service -url http://localhost:8080/v1/graphql -token $JWT -user 2 -channel 3
//
// The database comes from the server's environment
// (HASURA_GRAPHQL_DATABASE_URL). This file is the example's own: hasgen
// never rewrites it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/gqlclient"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hasgen/hasgen/example/server/actions"
	"github.com/hasgen/hasgen/example/server/client"
	"github.com/hasgen/hasgen/example/server/db"
	"github.com/hasgen/hasgen/example/server/graph"
	"github.com/hasgen/hasgen/example/server/operations"
	"github.com/hasgen/hasgen/example/server/schema"
)

func main() {
	url := flag.String("url", "http://localhost:8080/v1/graphql", "the server's GraphQL endpoint")
	token := flag.String("token", "", "a JWT of the user")
	user := flag.String("user", "", "the user's id (X-Hasura-User-Id), for the in-process client")
	channel := flag.Int("channel", 0, "a channel of the user's, to post to")
	foreign := flag.Int("foreign", 0, "a channel the user is not a member of, to fail to post to")
	flag.Parse()
	if err := run(context.Background(), *url, *token, *user, *channel, *foreign); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// project is the server's project, as main.go hands it to runtime.Main.
var project = runtime.Project{
	Tables:    db.Tables,
	Schemas:   schema.FS,
	CustomSDL: graph.CustomSDL,
	Custom: func(s *ast.Schema, pool *pgxpool.Pool) graphql.ExecutableSchema {
		return graph.NewExecutableSchema(graph.Config{Schema: s, Resolvers: &graph.Resolver{DB: pool}})
	},
	ActionHandlers: actions.Setup().ByName(),
	Operations:     operations.Compiled,
}

// answers are what one way answered.
type answers struct {
	Channels *client.MyChannelsResult     `json:"channels"`
	Orders   *client.OrdersByStatusResult `json:"orders"`
	Posted   *client.SendMessageResult    `json:"posted"`
	// Refused is the GraphQL error of a post to another channel.
	Refused *gqlclient.Error `json:"refused"`
	// Compiled are the operations the engine answered from its compiled
	// set (in process only: the server's own is not visible here).
	Compiled []string `json:"compiled,omitempty"`
}

// compiledNoted is a Local that notes the operations the engine answers
// from its compiled set.
type compiledNoted struct {
	*gqlclient.Local
	compiled []string
}

func (c *compiledNoted) Do(ctx context.Context, req *gqlclient.Request, data any) error {
	if c.IsCompiled(req) {
		c.compiled = append(c.compiled, req.OperationName)
	}
	return c.Local.Do(ctx, req, data)
}

func run(ctx context.Context, url, token, user string, channel, foreign int) error {
	cfg, err := runtime.ProjectConfig(project, nil, os.Getenv)
	if err != nil {
		return err
	}
	pool, err := runtime.NewPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	e, err := runtime.NewEngine(cfg, project, pool)
	if err != nil {
		return err
	}
	out := map[string]*answers{}
	local := &compiledNoted{Local: gqlclient.NewLocal(e).As("user", map[string]string{"X-Hasura-User-Id": user})}
	for _, way := range []struct {
		name string
		c    gqlclient.Client
	}{
		{"http", gqlclient.NewHTTP(url).WithJWT(token)},
		{"local", local},
	} {
		a, err := ask(ctx, way.c, way.name, channel, foreign)
		if err != nil {
			return fmt.Errorf("%s: %w", way.name, err)
		}
		out[way.name] = a
	}
	out["local"].Compiled = local.compiled
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// ask runs the example's operations on c.
func ask(ctx context.Context, c gqlclient.Client, way string, channel, foreign int) (*answers, error) {
	var a answers
	var err error
	if a.Channels, err = client.MyChannels(ctx, c, client.MyChannelsVars{Messages: 2}); err != nil {
		return nil, err
	}
	if a.Orders, err = client.OrdersByStatus(ctx, c, client.OrdersByStatusVars{Statuses: []string{"placed", "preparing", "out_for_delivery", "delivered"}}); err != nil {
		return nil, err
	}
	if a.Posted, err = client.SendMessage(ctx, c, client.SendMessageVars{Channel: channel, Body: "posted " + way}); err != nil {
		return nil, err
	}
	_, err = client.SendMessage(ctx, c, client.SendMessageVars{Channel: foreign, Body: "intruder " + way})
	if !errors.As(err, &a.Refused) {
		return nil, fmt.Errorf("a post to channel %d: want a GraphQL error, got %v", foreign, err)
	}
	return &a, nil
}
