package runtime

import (
	"strings"
	"testing"
)

// TestConfigConsoleHeaders: HASGEN_CONSOLE_HEADERS is read (not reported
// as unserved) and parsed; a bad value is a configuration error that does
// not repeat the value, which holds a secret.
func TestConfigConsoleHeaders(t *testing.T) {
	cases := []struct {
		name, value string
		want        map[string]string
		wantErr     bool
	}{
		{"unset", "", nil, false},
		{"admin secret", `{"X-Hasura-Admin-Secret":"s3cret"}`, map[string]string{"X-Hasura-Admin-Secret": "s3cret"}, false},
		{"not JSON", `X-Hasura-Admin-Secret=s3cret`, nil, true},
		{"not strings", `{"X-Hasura-Admin-Secret":["s3cret"]}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://x/y", "HASGEN_CONSOLE_HEADERS": tc.value}
			cfg, err := ConfigFromEnv(nil, func(k string) string { return env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "HASGEN_CONSOLE_HEADERS") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q: want the variable's name and not its value", err)
				}
				return
			}
			if len(cfg.ConsoleHeaders) != len(tc.want) || cfg.ConsoleHeaders["X-Hasura-Admin-Secret"] != tc.want["X-Hasura-Admin-Secret"] {
				t.Errorf("ConsoleHeaders = %v, want %v", cfg.ConsoleHeaders, tc.want)
			}
		})
	}
	if got := UnservedEnv(Project{}, []string{"HASGEN_CONSOLE_HEADERS={}"}); len(got) != 0 {
		t.Errorf("UnservedEnv = %v", got)
	}
}
