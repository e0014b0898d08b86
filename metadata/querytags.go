package metadata

import "strings"

// QueryTags is a source's query_tags, as Hasura reads it: present and not
// disabled, the tags are on; format standard by default; the request id
// left out unless omit_request_id is false.
type QueryTags struct {
	Disabled      bool   `json:"disabled,omitempty"`
	Format        string `json:"format,omitempty"`
	OmitRequestID *bool  `json:"omit_request_id,omitempty"`
}

// queryTags reads a source's query_tags.
func (l *loader) queryTags(x ynode, ctx string) *QueryTags {
	ctx += " query_tags"
	fields, ok := l.mapping(x, ctx, "query_tags")
	if !ok {
		return nil
	}
	q := &QueryTags{}
	for _, f := range fields {
		switch f.key {
		case "disabled":
			q.Disabled, _ = l.boolean(f.val, ctx, "disabled")
		case "format":
			s, ok := l.str(f.val, ctx, "format")
			if !ok {
				continue
			}
			switch strings.ToLower(s) {
			case "standard", "sqlcommenter":
				q.Format = strings.ToLower(s)
			default:
				l.errorf(l.deref(f.val).pos(), ctx, "format must be standard or sqlcommenter, not %q", s)
			}
		case "omit_request_id":
			if b, ok := l.boolean(f.val, ctx, "omit_request_id"); ok {
				q.OmitRequestID = &b
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q (disabled, format, omit_request_id)", f.key)
		}
	}
	return q
}
