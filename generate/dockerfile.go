package generate

import (
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"

	hasgen "github.com/hasgen/hasgen"
)

// pathDockerfile is the emitted project's container recipe: the user's,
// created once like main.go.
const pathDockerfile = "Dockerfile"

// dockerfile is the Dockerfile hasgen creates when the project has none:
// a static binary (CGO_ENABLED=0) built with the Go release hasgen's
// go.mod names, in a distroless image as a non-root user, with the
// server's own --healthcheck as the HEALTHCHECK (the image has no curl).
func dockerfile() ([]byte, error) {
	f, err := modfile.Parse("go.mod", hasgen.GoMod(), nil)
	if err != nil {
		return nil, fmt.Errorf("hasgen's go.mod: %w", err)
	}
	if f.Go == nil {
		return nil, fmt.Errorf("hasgen's go.mod has no go directive")
	}
	// The image of the go directive's minor release: golang:1.26 is the
	// newest 1.26.x, which satisfies go 1.26.<n>.
	parts := strings.SplitN(f.Go.Version, ".", 3)
	goImage := strings.Join(parts[:min(2, len(parts))], ".")
	return []byte(strings.ReplaceAll(dockerfileTmpl, "{{GO}}", goImage)), nil
}

const dockerfileTmpl = `# The container image of this server. hasgen created this file once and
# never rewrites it: it is yours to change.
#
#   docker build -t server .
#   docker run -p 8080:8080 -e HASURA_GRAPHQL_DATABASE_URL=postgres://... server
#
# The build downloads what go.mod requires, unless the modules are vendored:
# a replace directive that points outside this directory (a development
# build of hasgen writes one to its checkout) does not reach the build
# context, so such a project runs go mod vendor first.

FROM golang:{{GO}} AS build
WORKDIR /src
COPY . .
# vendor/ (go mod vendor) is used as it is: go mod download would read the
# replaced directory, which is not here.
RUN if [ ! -d vendor ]; then go mod download; fi
# A static binary: no C library needed at run time.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/server .

# Nothing but the binary, CA certificates and time zones, as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
USER nonroot:nonroot
ENV HASURA_GRAPHQL_SERVER_PORT=8080
EXPOSE 8080
# The server checks itself (GET /healthz): the image has no shell or curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/server", "--healthcheck"]
# On SIGTERM (docker stop) the server drains: in-flight requests finish and
# subscriptions complete, for up to 30 seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/server"]
`
