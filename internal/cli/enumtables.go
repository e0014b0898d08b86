package cli

import (
	"context"
	"errors"
	"io"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
)

// addEnumTables reads the permissions file at config against s and adds
// the rows of its enum tables, read from the database, to s. Problems in
// the file are printed as loadConfig prints them; keys hasgen does not
// serve do not matter to a snapshot and are not reported here.
func addEnumTables(ctx context.Context, url, config string, s *introspect.Schema, stderr io.Writer) error {
	md, err := metadata.Load(config, s)
	var list metadata.ErrorList
	if errors.As(err, &list) {
		return loadConfigProblems(config, list, stderr)
	}
	if err != nil {
		return err
	}
	return readEnumTables(ctx, url, s, md)
}

// readEnumTables adds the rows of md's enum tables, read from the database
// at url, to s.
func readEnumTables(ctx context.Context, url string, s *introspect.Schema, md *metadata.Metadata) error {
	if len(generate.EnumTables(md)) == 0 {
		return nil
	}
	conn, err := connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return introspect.LoadEnumTables(ctx, conn, s, generate.EnumTables(md))
}
