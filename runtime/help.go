package runtime

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// helpError is ConfigFromEnv's error for -h and --help: its text is the
// usage, and it wraps flag.ErrHelp so that Main tells help from a bad
// configuration (exit 0, usage on stdout, as Go's flag package does).
type helpError struct{ usage string }

func (e helpError) Error() string { return e.usage }

func (e helpError) Unwrap() error { return flag.ErrHelp }

// printHelp writes the usage to w when err asks for help, and reports
// whether it did.
func printHelp(w io.Writer, err error) bool {
	if !errors.Is(err, flag.ErrHelp) {
		return false
	}
	fmt.Fprint(w, err.Error())
	return true
}
