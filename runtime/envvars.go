package runtime

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// EnvVar is an environment variable the server reads.
type EnvVar struct {
	Name string
	// Default is the value when it is unset, in Unit ("s", "ms" or ""
	// for none); "" when unset means nothing is set.
	Default string
	Unit    string
}

// downstreamDefaults are the defaults of variables whose zero value in
// Config means "the package's default", applied where the setting is used
// (live.New, transport.NewWebsocketHandler) rather than in configFrom.
var downstreamDefaults = map[string]string{
	"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE":                            "5",
	"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT":              "3",
	"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL":      "1000",
	"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE":            "100",
	"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "1000",
	"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE":       "100",
	"HASGEN_SUBSCRIPTION_WORKERS":                                   "4",
}

// EnvVars returns every environment variable the server reads, in the
// order configFrom reads them, with its default when the project's
// metadata sets nothing (ConfigFromEnv): the list a deployment's
// documentation gives (docs/deployment.md is checked against it).
func EnvVars() []EnvVar { return envVars(Source{}) }

// envVars is EnvVars over the defaults of a project's source.
func envVars(src Source) []EnvVar {
	var out []EnvVar
	seen := map[string]bool{}
	configRecording(src, nil, func(string) string { return "" }, func(v EnvVar) {
		if seen[v.Name] {
			return
		}
		seen[v.Name] = true
		if d, ok := downstreamDefaults[v.Name]; ok && (v.Default == "0" || v.Default == "") {
			v.Default = d
		}
		out = append(out, v)
	})
	return out
}

// unitName is how the table names a duration variable's unit.
func unitName(unit time.Duration) string {
	switch unit {
	case time.Second:
		return "s"
	case time.Millisecond:
		return "ms"
	}
	return unit.String()
}

// envHelp is the list of variables --help prints after the flags.
func envHelp(src Source) string {
	var b strings.Builder
	b.WriteString("\nEnvironment variables (flags override them):\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, v := range envVars(src) {
		def := "(unset)"
		if v.Default != "" {
			def = v.Default
			if v.Unit != "" {
				def += " " + v.Unit
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\n", v.Name, def)
	}
	tw.Flush()
	return b.String()
}
