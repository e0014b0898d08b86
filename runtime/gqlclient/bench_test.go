package gqlclient_test

import (
	"context"
	"testing"

	"github.com/hasgen/hasgen/runtime/gqlclient"
)

// BenchmarkClients is one query of a user's channels and their messages
// (permission filter through a relationship) through each client: over
// HTTP to the server's handler on loopback, and in process.
func BenchmarkClients(b *testing.B) {
	e, _, url := setup(b)
	ctx := context.Background()
	vars := map[string]string{"x-hasura-user-id": "2"}
	clients := []struct {
		name string
		c    gqlclient.Client
	}{
		{"http", gqlclient.NewHTTP(url+"/v1/graphql").WithAdminSecret(secret).WithRole("user").WithHeader("x-hasura-user-id", "2")},
		{"local", gqlclient.NewLocal(e).As("user", vars)},
	}
	req := &gqlclient.Request{Query: channelsQuery, OperationName: "Channels", Variables: map[string]any{}}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var res channels
				if err := c.c.Do(ctx, req, &res); err != nil {
					b.Fatal(err)
				}
				if len(res.Channels) != 2 {
					b.Fatalf("%d channels", len(res.Channels))
				}
			}
		})
	}
}
