package runtime

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/events"
)

func TestMetadataOpsDuplicate(t *testing.T) {
	op := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	if _, err := metadataOps(map[string]events.Op{"a": op, "b": op}, map[string]events.Op{"c": op, "b": op}); err == nil || !strings.Contains(err.Error(), `operation "b" is served twice`) {
		t.Errorf("error %v, want one naming b", err)
	}
	ops, err := metadataOps(map[string]events.Op{"a": op}, nil, map[string]events.Op{"c": op})
	if err != nil || len(ops) != 2 || ops["a"] == nil || ops["c"] == nil {
		t.Errorf("merged %v, %v", ops, err)
	}
}

func TestEventsConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string {
			if k == "HASURA_GRAPHQL_DATABASE_URL" {
				return "postgres://x"
			}
			return m[k]
		}
	}
	cfg, err := ConfigFromEnv(nil, env(nil))
	if err != nil || cfg.Events.PoolSize != 100 || cfg.Events.FetchInterval != time.Second || cfg.Events.FetchBatchSize != 100 {
		t.Errorf("defaults %+v, %v", cfg.Events, err)
	}
	cfg, err = ConfigFromEnv(nil, env(map[string]string{"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE": "5", "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL": "250", "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE": "20"}))
	if err != nil || cfg.Events.PoolSize != 5 || cfg.Events.FetchInterval != 250*time.Millisecond || cfg.Events.FetchBatchSize != 20 {
		t.Errorf("set %+v, %v", cfg.Events, err)
	}
	for _, name := range []string{"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE"} {
		if _, err := ConfigFromEnv(nil, env(map[string]string{name: "0"})); err == nil || !strings.Contains(err.Error(), name+`="0": want a positive integer`) {
			t.Errorf("%s=0: %v", name, err)
		}
	}
}
