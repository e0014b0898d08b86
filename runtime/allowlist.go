package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hasgen/hasgen/runtime/allowlist"
)

// projectAllowList is the project's allow list (schema/allow_list.jsonc,
// written by hasgen generate from query_collections.yaml and
// allow_list.yaml) when HASURA_GRAPHQL_ENABLE_ALLOWLIST is on, else nil.
// On, a project without the file allows nothing but admin's requests, as
// Hasura does with an empty allow list. The file is read either way: a
// broken one stops the server before it serves anything.
func projectAllowList(cfg Config, p Project) (*allowlist.List, error) {
	var c allowlist.Config
	if p.Schemas != nil {
		b, err := fs.ReadFile(p.Schemas, allowlist.File)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("schema/%s: %w", allowlist.File, err)
		default:
			for bytes.HasPrefix(b, []byte("//")) {
				_, b, _ = bytes.Cut(b, []byte("\n"))
			}
			d := json.NewDecoder(bytes.NewReader(b))
			d.DisallowUnknownFields()
			if err := d.Decode(&c); err != nil {
				return nil, fmt.Errorf("schema/%s: %w", allowlist.File, err)
			}
		}
	}
	l, err := allowlist.New(c)
	if err != nil {
		return nil, fmt.Errorf("schema/%s: %w", allowlist.File, err)
	}
	if !cfg.EnableAllowList {
		return nil, nil
	}
	return l, nil
}
