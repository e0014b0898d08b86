package runtime

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/events"
)

func TestMetadataOpsDuplicate(t *testing.T) {
	op := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	if _, err := metadataOps(map[string]events.Op{"a": op, "b": op}, map[string]events.Op{"c": op, "b": op}); err == nil || !strings.Contains(err.Error(), `operation "b" is served twice`) {
		t.Errorf("error %v, want one naming b", err)
	}
	ops, err := metadataOps(map[string]events.Op{"a": op}, nil, map[string]events.Op{"c": op})
	if err != nil || len(ops) != 2 || ops["a"] == nil || ops["c"] == nil {
		t.Errorf("merged %v, %v", ops, err)
	}
}
