package metadata

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// This file is where hasgen says what it does not serve. Hasura's metadata
// holds more than tables and permissions; every key of it is either read
// (and served) elsewhere in this package, or reported here, so that nothing
// is dropped without a word. Metadata.Unsupported lists the reports; the
// commands refuse to go on while it is not empty unless told to accept the
// loss.

// unsupportedf records that the key at p is not served. ctx names the
// object it belongs to ("table public.album"); key names it as the
// metadata does, with the item's name when it has one
// (`event_triggers "notify"`).
func (l *loader) unsupportedf(p Pos, ctx, key string, args ...any) {
	if len(args) > 0 {
		key = fmt.Sprintf(key, args...)
	}
	msg := key + " is not supported by hasgen"
	if ctx != "" {
		msg = ctx + ": " + msg
	}
	l.unsup = append(l.unsup, &Error{Pos: p, Msg: msg})
}

// empty reports whether x says nothing: null, an empty list or mapping, or
// a mapping whose values all say nothing (actions.yaml's `actions: []` with
// empty custom_types). An "!include" is followed.
func (l *loader) empty(x ynode) bool {
	return l.emptyDepth(x, 0)
}

func (l *loader) emptyDepth(x ynode, depth int) bool {
	x = l.deref(x)
	if x.bad {
		return true // already reported
	}
	switch n := x.n.(type) {
	case nil, *ast.NullNode:
		return true
	case *ast.SequenceNode:
		return len(n.Values) == 0
	case *ast.MappingNode, *ast.MappingValueNode:
		if depth > 8 {
			return false
		}
		fields, _ := l.mappingQuiet(x)
		for _, f := range fields {
			if !l.emptyDepth(f.val, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// unsupportedItems reports a key whose value hasgen does not serve: each
// item of a list on its own line, named by its name key when it has one,
// else the key itself. An empty value is not reported.
func (l *loader) unsupportedItems(ctx, key string, keyPos Pos, x ynode) {
	if l.empty(x) {
		return
	}
	d := l.deref(x)
	items, ok := d.n.(*ast.SequenceNode)
	if !ok {
		l.unsupportedf(keyPos, ctx, key)
		return
	}
	for _, v := range items.Values {
		it := d.child(v)
		if name := l.itemName(it); name != "" {
			l.unsupportedf(l.deref(it).pos(), ctx, "%s %q", key, name)
		} else {
			l.unsupportedf(l.deref(it).pos(), ctx, key)
		}
	}
}

// itemName is the name of a list item of Hasura's metadata: its name,
// role_name, collection, or {schema, name} of function, without
// reporting anything.
func (l *loader) itemName(x ynode) string {
	fields, ok := l.mappingQuiet(x)
	if !ok {
		return ""
	}
	for _, k := range []string{"name", "role_name", "collection", "function"} {
		for _, f := range fields {
			if f.key != k {
				continue
			}
			d := l.deref(f.val)
			if s, ok := rawString(d); ok {
				return s
			}
			if sub, ok := l.mappingQuiet(d); ok {
				schema, name := "public", ""
				for _, sf := range sub {
					s, _ := rawString(l.deref(sf.val))
					switch sf.key {
					case "schema":
						schema = s
					case "name":
						name = s
					}
				}
				if name != "" {
					return schema + "." + name
				}
			}
		}
	}
	return ""
}

// projectKeys are the keys of Hasura's metadata outside the database
// sources, as a metadata export names them, with the file of a metadata
// directory that holds each. "" marks a key read from another key's file.
var projectKeys = []struct{ key, file string }{
	{"actions", "actions.yaml"},
	{"custom_types", ""},
	{"allowlist", "allow_list.yaml"},
	{"api_limits", "api_limits.yaml"},
	{"backend_configs", "backend_configs.yaml"},
	{"cron_triggers", "cron_triggers.yaml"},
	{"graphql_schema_introspection", "graphql_schema_introspection.yaml"},
	{"inherited_roles", "inherited_roles.yaml"},
	{"metrics_config", "metrics_config.yaml"},
	{"network", "network.yaml"},
	{"opentelemetry", "opentelemetry.yaml"},
	{"query_collections", "query_collections.yaml"},
	{"remote_schemas", "remote_schemas.yaml"},
	{"rest_endpoints", "rest_endpoints.yaml"},
}

// projectFiles reads the files of a metadata directory beside databases/:
// each is read by projectKey, which reports the keys hasgen does not serve
// when they say anything. A file that does not exist says nothing.
func (l *loader) projectFiles(m *Metadata, dir string, join func(...string) string) {
	for _, pk := range projectKeys {
		if pk.file == "" {
			continue
		}
		name := join(dir, pk.file)
		if _, err := l.fs.read(name); err != nil {
			continue
		}
		f := l.file(name, Pos{})
		if !f.ok || f.body == nil {
			continue
		}
		x := ynode{n: f.body, fr: &frame{file: f}}
		if pk.key == "actions" {
			// actions.yaml holds {actions, custom_types}.
			fields, ok := l.mapping(x, "actions.yaml", "actions.yaml")
			if !ok {
				continue
			}
			var acts, types *field
			for i, fl := range fields {
				switch fl.key {
				case "actions":
					acts = &fields[i]
				case "custom_types":
					types = &fields[i]
				default:
					l.errorf(fl.keyPos, "actions.yaml", "unknown key %q", fl.key)
				}
			}
			l.actionsFile(m, acts, types, join(dir, "actions.graphql")) // actions.go
			continue
		}
		l.projectKey(m, pk.key, x.pos(), x)
	}
	l.actionsGraphQL(join(dir, "actions.graphql"))
}

// actionsGraphQL reports actions.graphql when it defines anything and
// actions.yaml did not already report the actions.
func (l *loader) actionsGraphQL(name string) {
	b, err := l.fs.read(name)
	if err != nil {
		return
	}
	if l.actionsRead {
		return // actionsFile read it with actions.yaml
	}
	for _, e := range l.unsup {
		if strings.HasPrefix(e.Msg, "actions ") || strings.HasPrefix(e.Msg, "custom_types") {
			return
		}
	}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			l.unsupportedf(Pos{File: name, Line: i + 1, Col: 1}, "", "actions.graphql (action and custom type definitions)")
			return
		}
	}
}

// projectKey reads one key of the metadata outside the sources.
func (l *loader) projectKey(m *Metadata, key string, keyPos Pos, x ynode) {
	switch key {
	case "api_limits":
		m.APILimits = l.apiLimits(x)
	case "inherited_roles":
		m.InheritedRoles = append(m.InheritedRoles, l.inheritedRoleList(x)...)
	case "custom_types":
		fields, _ := l.mappingQuiet(x)
		for _, f := range fields {
			l.unsupportedItems("", "custom_types."+f.key, f.keyPos, f.val)
		}
		if len(fields) == 0 && !l.empty(x) {
			l.unsupportedf(keyPos, "", key)
		}
	case "graphql_schema_introspection":
		l.introspectionOptions(m, x)
	case "cron_triggers":
		l.cronTriggers(m, x)
	case "remote_schemas":
		l.remoteSchemas(m, x)
	case "query_collections":
		l.queryCollections(m, x) // querycollections.go
	case "allowlist":
		l.allowList(m, x)
	case "network", "metrics_config", "opentelemetry", "backend_configs":
		// Mappings of settings: each setting that says something.
		fields, ok := l.mappingQuiet(x)
		if !ok {
			l.unsupportedItems("", key, keyPos, x)
			return
		}
		for _, f := range fields {
			if !l.empty(f.val) {
				l.unsupportedf(f.keyPos, "", "%s.%s", key, f.key)
			}
		}
	default:
		l.unsupportedItems("", key, keyPos, x)
	}
}

// connection reads a source's configuration: connection_info and
// read_replicas are served; the rest is reported.
func (l *loader) connection(x ynode, ctx string) *Connection {
	fields, ok := l.mapping(x, ctx, "configuration")
	if !ok {
		return nil
	}
	c := &Connection{}
	ctx += " configuration"
	for _, f := range fields {
		switch f.key {
		case "connection_info":
			l.connectionInfo(c, f.val, ctx+".connection_info")
		case "read_replicas":
			l.readReplicas(c, f.val, ctx+".read_replicas")
		case "connection_template", "connection_set", "extensions_schema":
			if !l.empty(f.val) {
				l.unsupportedf(f.keyPos, ctx, f.key)
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
	}
	return c
}

// readReplicas reads a source's read_replicas: a list of connection_info,
// each of which must say where the replica is.
func (l *loader) readReplicas(c *Connection, x ynode, ctx string) {
	if l.isNull(x) {
		return
	}
	items, ok := l.seq(x, ctx, "read_replicas")
	if !ok {
		return
	}
	for i, item := range items {
		r := Connection{}
		ictx := fmt.Sprintf("%s[%d]", ctx, i)
		l.connectionInfo(&r, item, ictx)
		if r.TotalMaxConnections != 0 {
			// The connection budget is the primary's (runtime/budget);
			// a replica's pool has its max_connections alone.
			l.unsupportedf(l.deref(item).pos(), ictx, "pool_settings.total_max_connections (a connection budget of a read replica)")
			r.TotalMaxConnections = 0
		}
		if r.URL == "" && r.URLFromEnv == "" {
			l.errorf(l.deref(item).pos(), ictx, "a read replica needs a database_url (a URL, or {from_env: VAR})")
		}
		c.ReadReplicas = append(c.ReadReplicas, r)
	}
}

func (l *loader) connectionInfo(c *Connection, x ynode, ctx string) {
	fields, ok := l.mapping(x, ctx, "connection_info")
	if !ok {
		return
	}
	for _, f := range fields {
		switch f.key {
		case "database_url":
			d := l.deref(f.val)
			if isString(d) {
				c.URL, _ = l.str(d, ctx, "database_url")
				continue
			}
			sub, ok := l.mapping(d, ctx, "database_url")
			if !ok {
				continue
			}
			for _, s := range sub {
				switch s.key {
				case "from_env":
					c.URLFromEnv, _ = l.name(s.val, ctx, "database_url.from_env")
				case "connection_parameters", "dynamic_from_file":
					l.unsupportedf(s.keyPos, ctx, "database_url.%s", s.key)
				default:
					l.errorf(s.keyPos, ctx, "unknown key %q in database_url", s.key)
				}
			}
		case "isolation_level":
			s, ok := l.str(f.val, ctx, "isolation_level")
			switch {
			case !ok:
			case s == "read-committed" || s == "repeatable-read" || s == "serializable":
				c.IsolationLevel = s
			default:
				l.errorf(l.deref(f.val).pos(), ctx, "isolation_level must be read-committed, repeatable-read or serializable, not %q", s)
			}
		case "use_prepared_statements":
			b, ok := l.boolean(f.val, ctx, "use_prepared_statements")
			if ok {
				c.UsePreparedStatements = &b
			}
		case "pool_settings":
			l.poolSettings(c, f.val, ctx+".pool_settings")
		case "ssl_configuration":
			if !l.empty(f.val) {
				l.unsupportedf(f.keyPos, ctx, f.key)
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
	}
}

func (l *loader) poolSettings(c *Connection, x ynode, ctx string) {
	fields, _ := l.mapping(x, ctx, "pool_settings")
	for _, f := range fields {
		var dst *int
		switch f.key {
		case "max_connections":
			dst = &c.MaxConnections
		case "idle_timeout":
			dst = &c.IdleTimeout
		case "connection_lifetime":
			dst = &c.ConnectionLifetime
		case "total_max_connections":
			// Served by the generated server (runtime/budget); null is unset.
			if l.isNull(f.val) {
				continue
			}
			dst = &c.TotalMaxConnections
		case "retries", "pool_timeout":
			if !l.isNull(f.val) {
				l.unsupportedf(f.keyPos, ctx, f.key)
			}
			continue
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			continue
		}
		if n, ok := l.count(f.val, ctx, f.key); ok {
			*dst = n
		}
	}
}
