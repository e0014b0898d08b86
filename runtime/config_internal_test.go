package runtime

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": "postgres://x/y", "HASGEN_NODE_LIMIT": "50", "HASGEN_TIME_LIMIT": "0",
		"HASGEN_MAX_RESPONSE_SIZE": "1024", "HASGEN_RLS_ROLE": "app",
	}
	cfg, err := ConfigFromEnv(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.Nodes != 50 || cfg.Limits.Time != 0 || cfg.Limits.Depth != 15 || cfg.MaxResponseSize != 1024 || cfg.RLSRole != "app" || cfg.BodyTimeout != 30*time.Second {
		t.Errorf("got %+v", cfg)
	}
	env["HASGEN_DEPTH_LIMIT"] = "deep"
	if _, err := ConfigFromEnv(nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), `HASGEN_DEPTH_LIMIT="deep"`) {
		t.Errorf("bad value: %v", err)
	}
}

// TestConfigHelp: -h prints each flag once.
func TestConfigHelp(t *testing.T) {
	_, err := ConfigFromEnv([]string{"-h"}, func(string) string { return "" })
	if err == nil {
		t.Fatal("no usage")
	}
	if n := strings.Count(err.Error(), "-database-url"); n != 1 {
		t.Errorf("-database-url appears %d times:\n%s", n, err)
	}
}
