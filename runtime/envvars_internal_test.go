package runtime

import (
	"regexp"
	"strings"
	"testing"
)

// TestHelpListsEnvVars: --help lists every variable the server reads, once,
// with its default, after the flags.
func TestHelpListsEnvVars(t *testing.T) {
	_, err := ConfigFromEnv([]string{"--help"}, func(string) string { return "" })
	if err == nil {
		t.Fatal("no usage")
	}
	help := err.Error()
	vars := EnvVars()
	if len(vars) < 30 {
		t.Fatalf("only %d variables recorded", len(vars))
	}
	for _, v := range vars {
		if n := len(regexp.MustCompile(`(?m)^  `+v.Name+` `).FindAllString(help, -1)); n != 1 {
			t.Errorf("%s listed %d times in:\n%s", v.Name, n, help)
		}
	}
	for _, want := range []string{"HASGEN_SCHEMA_CHECK", "HASURA_GRAPHQL_SERVER_PORT", "HASURA_GRAPHQL_PG_CONN_LIFETIME"} {
		line := regexp.MustCompile(`(?m)^  ` + want + ` +(.*)$`).FindStringSubmatch(help)
		if line == nil {
			t.Errorf("no line for %s", want)
			continue
		}
		got := strings.TrimSpace(line[1])
		wantDef := map[string]string{"HASGEN_SCHEMA_CHECK": "fail", "HASURA_GRAPHQL_SERVER_PORT": "8080", "HASURA_GRAPHQL_PG_CONN_LIFETIME": "600 s"}[want]
		if got != wantDef {
			t.Errorf("%s default %q, want %q", want, got, wantDef)
		}
	}
	if !strings.Contains(help, "-healthcheck") || !strings.Contains(help, "-schema-check") {
		t.Errorf("the flags lack --healthcheck or --schema-check:\n%s", help)
	}
}
