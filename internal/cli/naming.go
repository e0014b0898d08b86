package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/hasgen/hasgen/metadata"
)

// namingEnv is Hasura's server-wide default naming convention variable.
// hasgen compiles names when it generates, so it is read here, by
// validate, generate, check and explain, as Hasura reads it when it
// starts; the generated server warns when its own environment says
// otherwise (runtime/naming.go).
const namingEnv = "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION"

// defaultNaming sets md's default naming convention from the environment;
// a value other than hasura-default or graphql-default is a problem in the
// input, as Hasura refuses to start with it.
func defaultNaming(md *metadata.Metadata, stderr io.Writer) error {
	v := os.Getenv(namingEnv)
	switch v {
	case "", metadata.HasuraDefault, metadata.GraphQLDefault:
		md.DefaultNamingConvention = v
		return nil
	}
	fmt.Fprintf(stderr, "%s: naming_convention can either be %q or %q, not %q\n", namingEnv, metadata.HasuraDefault, metadata.GraphQLDefault, v)
	return problemsError{1}
}
