package graphqlhttp_test

import (
	"os"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
)

// TestMain stops the throwaway cluster and removes the server built by
// internal/e2e (a /tmp/hasgen-e2e-* directory) once the tests are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
