package runtime

import (
	"github.com/hasgen/hasgen/runtime/engine"
)

// QueryTagsOptions are a source's query_tags, as hasgen generate writes
// them to schema/source.jsonc.
type QueryTagsOptions struct {
	Disabled      bool   `json:"disabled,omitempty"`
	Format        string `json:"format,omitempty"`
	OmitRequestID *bool  `json:"omit_request_id,omitempty"`
}

// projectQueryTags are the engine's query tags from the project's source:
// nil when the source has no query_tags or disables them (Hasura's
// defaults otherwise: the standard format, the request id left out).
func projectQueryTags(p Project) (*engine.QueryTags, error) {
	src, err := projectSource(p)
	if err != nil || src.QueryTags == nil || src.QueryTags.Disabled {
		return nil, err
	}
	f, err := engine.ParseTagFormat(src.QueryTags.Format)
	if err != nil {
		return nil, err
	}
	omit := src.QueryTags.OmitRequestID == nil || *src.QueryTags.OmitRequestID
	return &engine.QueryTags{Format: f, RequestID: !omit}, nil
}
