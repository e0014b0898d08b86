package metadata

import (
	"path"
	"path/filepath"
)

// APILimits is the metadata's api_limits.yaml: Hasura's per-role limits of
// a request. A nil *APILimits is none. The JSON form is Hasura's, which the
// server reads (schema/api_limits.json).
type APILimits struct {
	Disabled   bool        `json:"disabled,omitempty"`
	DepthLimit *LimitValue `json:"depth_limit,omitempty"`
	NodeLimit  *LimitValue `json:"node_limit,omitempty"`
	TimeLimit  *LimitValue `json:"time_limit,omitempty"`
	BatchLimit *LimitValue `json:"batch_limit,omitempty"`
}

// LimitValue is one limit: a global value, and per-role values that
// replace it.
type LimitValue struct {
	Global  *int           `json:"global,omitempty"`
	PerRole map[string]int `json:"per_role,omitempty"`
}

// apiLimitsFile returns the api_limits.yaml beside the databases directory
// of root (a metadata directory's databases/databases.yaml, or the old
// layout's tables.yaml), or "" for a plain permissions file.
func apiLimitsFile(root string, slash bool) string {
	dir, base := filepath.Dir, filepath.Base
	join := filepath.Join
	if slash {
		dir, base, join = path.Dir, path.Base, path.Join
	}
	switch {
	case base(root) == "databases.yaml" && base(dir(root)) == "databases":
		return join(dir(dir(root)), "api_limits.yaml")
	case base(root) == "tables.yaml":
		return join(dir(root), "api_limits.yaml")
	}
	return ""
}

// apiLimits reads an api_limits.yaml that exists; rate_limit, which hasgen
// does not serve, is an error unless the file turns limits off.
func (l *loader) apiLimits(name string) *APILimits {
	if _, err := l.fs.read(name); err != nil {
		return nil // none
	}
	f := l.file(name, Pos{})
	if !f.ok || f.body == nil {
		return nil
	}
	x := ynode{n: f.body, fr: &frame{file: f}}
	if l.isNull(x) {
		return nil
	}
	fields, ok := l.mapping(x, "api_limits", "api_limits")
	if !ok {
		return nil
	}
	out := &APILimits{}
	for _, fl := range fields {
		ctx := "api_limits." + fl.key
		switch fl.key {
		case "disabled":
			out.Disabled, _ = l.boolean(fl.val, ctx, "disabled")
		case "depth_limit":
			out.DepthLimit = l.limitValue(fl.val, ctx)
		case "node_limit":
			out.NodeLimit = l.limitValue(fl.val, ctx)
		case "time_limit":
			out.TimeLimit = l.limitValue(fl.val, ctx)
		case "batch_limit":
			out.BatchLimit = l.limitValue(fl.val, ctx)
		case "rate_limit":
			l.errorf(fl.keyPos, "", "api_limits.rate_limit is not supported by hasgen")
		default:
			l.errorf(fl.keyPos, "", "api_limits.%s is not a key of api_limits", fl.key)
		}
	}
	if *out == (APILimits{}) {
		return nil
	}
	return out
}

// limitValue reads {global: N, per_role: {role: N}}.
func (l *loader) limitValue(x ynode, ctx string) *LimitValue {
	fields, ok := l.mapping(x, ctx, ctx)
	if !ok {
		return nil
	}
	v := &LimitValue{}
	for _, fl := range fields {
		switch fl.key {
		case "global":
			if n, ok := l.count(fl.val, ctx, "global"); ok {
				v.Global = &n
			}
		case "per_role":
			roles, ok := l.mapping(fl.val, ctx, "per_role")
			if !ok {
				continue
			}
			v.PerRole = map[string]int{}
			for _, r := range roles {
				if n, ok := l.count(r.val, ctx+".per_role", r.key); ok {
					v.PerRole[r.key] = n
				}
			}
		default:
			l.errorf(fl.keyPos, "", "%s.%s is not a key of a limit (global, per_role)", ctx, fl.key)
		}
	}
	return v
}
