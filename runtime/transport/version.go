package transport

// /v1/version and the secret of /metrics, as Hasura serves them:
// {"version": "..."}, and HASURA_GRAPHQL_METRICS_SECRET asked for as
// "Authorization: Bearer <secret>".

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"runtime/debug"

	"github.com/hasgen/hasgen/runtime/wire"
)

// modulePath is the module the runtime is part of.
const modulePath = "github.com/hasgen/hasgen"

// Version is the version of hasgen's runtime this binary was built with:
// the module's version in the build information, "dev" for a build of a
// checkout (a replace, or hasgen itself built from source).
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return moduleVersion(bi)
}

func moduleVersion(bi *debug.BuildInfo) string {
	m := &bi.Main
	if m.Path != modulePath {
		m = nil
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				m = d
				break
			}
		}
	}
	if m == nil || m.Replace != nil {
		return "dev"
	}
	switch m.Version {
	case "", "(devel)", "v0.0.0":
		return "dev"
	}
	return m.Version
}

// VersionHandler serves /v1/version.
func VersionHandler(version string) http.Handler {
	b, _ := json.Marshal(map[string]string{"version": version})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONStatus(w, http.StatusOK, b)
	})
}

// MetricsAuth guards next (the /metrics handler) with secret: a request
// must send "Authorization: Bearer <secret>", else it gets 401. An empty
// secret leaves next open.
func MetricsAuth(secret string, next http.Handler) http.Handler {
	if secret == "" {
		return next
	}
	want := []byte("Bearer " + secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			b, _ := json.Marshal(map[string]string{"path": "$", "error": "invalid or missing metrics secret (Authorization: Bearer <HASURA_GRAPHQL_METRICS_SECRET>)", "code": wire.CodeAccessDenied})
			writeJSONStatus(w, http.StatusUnauthorized, b)
			return
		}
		next.ServeHTTP(w, r)
	})
}
