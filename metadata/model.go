package metadata

import (
	"sort"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
)

// Metadata is a validated permissions file: the tracked tables, their
// relationships and their permissions, every name checked against the
// database. Nothing in it refers to YAML any more.
type Metadata struct {
	// Source is the Hasura database source the tables came from ("default"
	// for a metadata directory), or "" for a plain table list.
	Source string
	// Tables are the tracked tables, sorted by schema then name.
	Tables []*Table
	// Functions are the tracked SQL functions, sorted by schema then name.
	Functions []*Function
	// APILimits is the metadata's api_limits.yaml, or nil.
	APILimits *APILimits
	// InheritedRoles are the metadata's inherited roles, parents first;
	// their derived permissions are in Tables (inheritedroles.go).
	InheritedRoles []*InheritedRole
	// IntrospectionDisabledForRoles are the roles refused introspection
	// (graphql_schema_introspection.yaml's disabled_for_roles), sorted.
	IntrospectionDisabledForRoles []string
	// Connection is the source's connection settings (its
	// configuration.connection_info), or nil for a plain table list.
	Connection *Connection
	// QueryTags is the source's query_tags, or nil (querytags.go).
	QueryTags *QueryTags
	// Customization is the source's customization (customization.go), or
	// nil when it has none.
	Customization *Customization
	// DefaultNamingConvention is the server-wide naming convention that
	// applies when the source's customization sets none: the CLI reads it
	// from HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION, as Hasura does.
	DefaultNamingConvention string
	// EventTriggers are the event triggers of the tables, sorted by name
	// (unique across tables), with Hasura's defaults applied (triggers.go).
	EventTriggers []events.Trigger
	// CronTriggers are cron_triggers.yaml's triggers, sorted by name, with
	// Hasura's defaults applied.
	CronTriggers []schedule.Cron
	// Actions are the synchronous actions of actions.yaml and
	// actions.graphql, sorted by name; CustomTypes are actions.graphql's
	// types, in file order (actions.go).
	Actions     []*Action
	CustomTypes []*CustomType
	// RemoteSchemas are remote_schemas.yaml's remote schemas, sorted by
	// name (remoteschemas.go).
	RemoteSchemas []*RemoteSchema
	// QueryCollections are query_collections.yaml's collections, in file
	// order; AllowList is allow_list.yaml, in file order, each entry's
	// collection one of them (querycollections.go).
	QueryCollections []*QueryCollection
	AllowList        []*AllowListEntry
	// Warnings are things that were accepted but are worth saying. They
	// print like errors.
	Warnings []*Error
	// Unsupported are the keys the metadata sets that hasgen does not
	// serve (actions, another source...), one per item,
	// each as "file:line:col: <key> is not supported by hasgen". The
	// commands refuse them unless told to accept the loss; see
	// UnsupportedError.
	Unsupported []*Error
}

// UnsupportedError returns the unsupported keys as an ErrorList, or nil
// when there are none.
func (m *Metadata) UnsupportedError() error {
	if len(m.Unsupported) == 0 {
		return nil
	}
	return ErrorList(m.Unsupported)
}

// Connection is how the server connects to the source's database, as
// Hasura's connection_info says. Zero values keep the server's defaults.
type Connection struct {
	// URLFromEnv names the environment variable that holds the database
	// URL (database_url: {from_env: VAR}); URL is a URL written in the
	// metadata itself.
	URLFromEnv string `json:"database_url_from_env,omitempty"`
	URL        string `json:"database_url,omitempty"`
	// IsolationLevel is read-committed, repeatable-read or serializable.
	IsolationLevel string `json:"isolation_level,omitempty"`
	// UsePreparedStatements is nil when unset.
	UsePreparedStatements *bool `json:"use_prepared_statements,omitempty"`
	// Pool settings: connections, and seconds.
	MaxConnections     int `json:"max_connections,omitempty"`
	IdleTimeout        int `json:"idle_timeout,omitempty"`
	ConnectionLifetime int `json:"connection_lifetime,omitempty"`
	// ReadReplicas are the source's read_replicas: each a connection_info
	// of its own (URL, pool settings, isolation, prepared statements),
	// never with replicas of its own.
	ReadReplicas []Connection `json:"read_replicas,omitempty"`
	// TotalMaxConnections is the budget of every server instance
	// together (Hasura Cloud's total_max_connections).
	TotalMaxConnections int `json:"total_max_connections,omitempty"`
}

// Table is one tracked table (or view) and everything said about it.
type Table struct {
	// Pos is where the entry's table name is written.
	Pos Pos
	// Schema and Name identify the table in the database.
	Schema string
	Name   string
	// IsEnum marks a Hasura enum table (is_enum: true): its rows become the
	// values of a GraphQL enum.
	IsEnum bool
	// Configuration holds the custom GraphQL names.
	Configuration Configuration
	// Relationships are the object relationships then the array
	// relationships, each in file order.
	Relationships []*Relationship
	// ComputedFields are the computed fields, in file order.
	ComputedFields []*ComputedField
	// RemoteRelationships are the relationships to remote schemas, in
	// file order (remoteschemas.go).
	RemoteRelationships []*RemoteRelationship

	// The permissions, at most one per role and kind, in file order.
	SelectPermissions []*SelectPermission
	InsertPermissions []*InsertPermission
	UpdatePermissions []*UpdatePermission
	DeletePermissions []*DeletePermission

	// def is the table as introspected; nil when the table does not exist.
	def *introspect.Table
	// dup is set on the second entry for a table already listed; it is
	// reported once and not validated further.
	dup bool
}

// Configuration is a table's configuration key: GraphQL names that replace
// the generated ones.
type Configuration struct {
	// CustomName replaces the table identifier <t> in every generated name.
	CustomName string
	// Comment replaces the table's description in the GraphQL schema.
	Comment string
	// CustomRootFields renames individual root fields.
	CustomRootFields CustomRootFields
	// ColumnConfig holds the per-column settings, in table column order.
	// Both column_config and the older custom_column_names land here.
	ColumnConfig []*ColumnConfig
}

// CustomRootFields are the custom_root_fields of a table configuration. An
// empty Name keeps Hasura's default name.
type CustomRootFields struct {
	// Each field renames the root field of the same name in Hasura's
	// custom_root_fields: Select is "select", SelectByPk "select_by_pk"...
	Select          RootFieldName
	SelectByPk      RootFieldName
	SelectAggregate RootFieldName
	SelectStream    RootFieldName
	Insert          RootFieldName
	InsertOne       RootFieldName
	Update          RootFieldName
	UpdateByPk      RootFieldName
	UpdateMany      RootFieldName
	Delete          RootFieldName
	DeleteByPk      RootFieldName
}

// RootFieldName is one custom root field: a name, written either as a
// string or as {name, comment}.
type RootFieldName struct {
	// Name is the field's GraphQL name; "" keeps the default.
	Name string
	// Comment replaces the field's description.
	Comment string
}

// ColumnConfig is the configuration of one column: its GraphQL field name
// and description.
type ColumnConfig struct {
	// Pos is where the column is named.
	Pos Pos
	// Column is the column configured.
	Column string
	// CustomName is its GraphQL field name; "" keeps the column name.
	CustomName string
	// Comment replaces the field's description.
	Comment string
}

// RelKind says whether a relationship gives one row or a list of rows.
type RelKind int

const (
	// ObjectRelationship gives at most one remote row.
	ObjectRelationship RelKind = iota + 1
	// ArrayRelationship gives a list of remote rows.
	ArrayRelationship
)

// String returns "object" or "array".
func (k RelKind) String() string {
	switch k {
	case ObjectRelationship:
		return "object"
	case ArrayRelationship:
		return "array"
	}
	return "?"
}

// InsertionOrder says, for a nested insert through a relationship, which
// row is inserted first.
type InsertionOrder int

const (
	// BeforeParent inserts the remote row first: the local row needs its
	// key (an object relationship over a foreign key of this table).
	BeforeParent InsertionOrder = iota + 1
	// AfterParent inserts the remote rows after the local one: they need
	// its key (array relationships, reverse object relationships).
	AfterParent
)

// String returns "before_parent" or "after_parent", as written in the file.
func (o InsertionOrder) String() string {
	switch o {
	case BeforeParent:
		return "before_parent"
	case AfterParent:
		return "after_parent"
	}
	return "?"
}

// Relationship is an object or array relationship, resolved against the
// database: whichever way it was written, it is a remote table and pairs of
// columns to join on.
type Relationship struct {
	// Pos is where the relationship's name is written.
	Pos Pos
	// Name is the relationship's GraphQL field name.
	Name string
	// Kind says whether it gives one row or a list.
	Kind RelKind
	// Comment is the field's description.
	Comment string
	// RemoteSchema and RemoteTable name the table the relationship leads
	// to. It is tracked.
	RemoteSchema string
	RemoteTable  string
	// Columns are the join columns, local = remote for every pair, in the
	// foreign key's column order (or column_mapping's order when manual).
	Columns []ColumnPair
	// Constraint is the foreign key constraint followed, for a relationship
	// written with foreign_key_constraint_on; "" when Manual.
	Constraint string
	// Reverse is true when Constraint belongs to the remote table (it
	// references this one), as for every array relationship over a foreign
	// key; false when it belongs to this table.
	Reverse bool
	// Manual is true for a manual_configuration relationship.
	Manual bool
	// InsertionOrder is the order of a nested insert. Array relationships
	// are always AfterParent.
	InsertionOrder InsertionOrder

	// bad marks a relationship that failed to resolve; filters that use it
	// are not checked further (the relationship's own error says enough).
	bad bool
}

// ColumnPair is one join condition of a relationship: Local on this table
// equals Remote on the remote table.
type ColumnPair struct {
	// Local is a column of the table that has the relationship.
	Local string
	// Remote is a column of the relationship's remote table.
	Remote string
}

// ComputedField is a computed_fields entry, kept as written: a SQL function
// whose result appears as a field of the table.
type ComputedField struct {
	// Pos is where the entry starts.
	Pos Pos
	// Name is the field's name.
	Name string
	// FunctionSchema and FunctionName identify the SQL function.
	FunctionSchema string
	FunctionName   string
	// TableArgument and SessionArgument name the function's arguments
	// that receive the row and the session; "" for the defaults.
	TableArgument   string
	SessionArgument string
	// Comment is the field's description.
	Comment string
	// Def is the function as introspected; TableArgIndex and
	// SessionArgIndex are the positions of its arguments that receive
	// the row and the session (-1: none).
	Def             *introspect.Function
	TableArgIndex   int
	SessionArgIndex int
	// RowColumns are the table's columns in order: the row passed to the
	// function is built from them.
	RowColumns []string

	checked bool // the function was looked up (functions.go)
}

// RootFieldSet says which root fields a select permission exposes, as
// query_root_fields / subscription_root_fields. An absent key means all.
type RootFieldSet struct {
	// Select, SelectByPk and SelectAggregate expose <t>, <t>_by_pk and
	// <t>_aggregate.
	Select          bool
	SelectByPk      bool
	SelectAggregate bool
	// SelectStream is only meaningful for subscriptions.
	SelectStream bool
}

// SelectPermission is one role's select permission on a table.
type SelectPermission struct {
	// Pos is where the permission entry starts.
	Pos Pos
	// Role is the role it is for; never "admin".
	Role string
	// Comment is the entry's comment, kept for the reader.
	Comment string
	// Columns are the selectable columns in table column order; '*' is
	// expanded to every column.
	Columns []string
	// AllColumns is true when the file says columns: '*'.
	AllColumns bool
	// ComputedFields are the computed fields the role may select.
	ComputedFields []string
	// Filter is the row filter; never nil ({} is an empty *And, true).
	Filter BoolExp
	// Limit is the row limit, or -1 when there is none.
	Limit int
	// AllowAggregations exposes <t>_aggregate and the aggregate fields.
	AllowAggregations bool
	// QueryRootFields and SubscriptionRootFields are resolved: all true
	// when the key is absent; SelectStream is false for queries.
	QueryRootFields        RootFieldSet
	SubscriptionRootFields RootFieldSet
	// ColumnFilters, on an inherited role's derived permission, map each
	// column that not every parent grants to the condition under which
	// its value shows (the granting parents' filters OR-ed; {} when one
	// of them sees every row); in other rows it is NULL. Such a column is
	// nullable in the role's schema. Nil for written permissions.
	ColumnFilters map[string]BoolExp
}

// InsertPermission is one role's insert permission on a table.
type InsertPermission struct {
	// Pos is where the permission entry starts.
	Pos Pos
	// Role is the role it is for; never "admin".
	Role string
	// Comment is the entry's comment, kept for the reader.
	Comment string
	// Check must hold for every inserted row; never nil.
	Check BoolExp
	// Set are the column presets, in table column order.
	Set []*Preset
	// Columns are the insertable columns in table column order. An absent
	// columns key means every column, as in Hasura.
	Columns []string
	// AllColumns is true for columns: '*' or no columns key.
	AllColumns bool
	// BackendOnly hides the mutation unless the request is trusted (admin
	// secret and x-hasura-use-backend-only-permissions).
	BackendOnly bool
	// ValidateInput is the input-validation webhook, or nil.
	ValidateInput *ValidateInput
}

// UpdatePermission is one role's update permission on a table.
type UpdatePermission struct {
	// Pos is where the permission entry starts.
	Pos Pos
	// Role is the role it is for; never "admin".
	Role string
	// Comment is the entry's comment, kept for the reader.
	Comment string
	// Columns are the updatable columns in table column order.
	Columns []string
	// AllColumns is true for columns: '*'.
	AllColumns bool
	// Filter selects the rows the role may update; never nil.
	Filter BoolExp
	// Check must hold for the rows after the update; nil when absent.
	Check BoolExp
	// Set are the column presets, in table column order.
	Set []*Preset
	// BackendOnly hides the mutation from untrusted requests.
	BackendOnly bool
	// ValidateInput is the input-validation webhook, or nil.
	ValidateInput *ValidateInput
}

// DeletePermission is one role's delete permission on a table.
type DeletePermission struct {
	// Pos is where the permission entry starts.
	Pos Pos
	// Role is the role it is for; never "admin".
	Role string
	// Comment is the entry's comment, kept for the reader.
	Comment string
	// Filter selects the rows the role may delete; never nil.
	Filter BoolExp
	// BackendOnly hides the mutation from untrusted requests.
	BackendOnly bool
	// ValidateInput is the input-validation webhook, or nil.
	ValidateInput *ValidateInput
}

// Preset is one entry of a permission's set: the column always gets Value,
// whatever the request says.
type Preset struct {
	// Pos is where the column is named.
	Pos Pos
	// Column is the column preset.
	Column string
	// Type is the column's type, for casting a session variable.
	Type introspect.Type
	// Value is a *Literal (a null literal sets NULL) or a *SessionVar.
	Value Value
}

// ValidateInput is a permission's validate_input: an HTTP webhook that
// approves mutation input. It is parsed and kept; hasgen does not call it
// yet.
type ValidateInput struct {
	// Pos is where validate_input's value starts.
	Pos Pos
	// Type is "http" (or "" when not written).
	Type string
	// URL is the webhook, or URLFromEnv the environment variable that
	// holds it.
	URL        string
	URLFromEnv string
	// Headers are sent with each call.
	Headers []Header
	// ForwardClientHeaders sends the client's headers too.
	ForwardClientHeaders bool
	// Timeout is in seconds; 0 when not written.
	Timeout int
}

// Header is a webhook header: a fixed value or one read from the
// environment.
type Header struct {
	// Name is the header's name.
	Name string
	// Value is its value, or ValueFromEnv the environment variable that
	// holds it.
	Value        string
	ValueFromEnv string
}

// Table returns the tracked table schema.name, or nil.
func (m *Metadata) Table(schema, name string) *Table {
	i := sort.Search(len(m.Tables), func(i int) bool {
		t := m.Tables[i]
		return t.Schema > schema || (t.Schema == schema && t.Name >= name)
	})
	if i < len(m.Tables) && m.Tables[i].Schema == schema && m.Tables[i].Name == name {
		return m.Tables[i]
	}
	return nil
}

// Roles returns every role that has a permission somewhere, sorted.
func (m *Metadata) Roles() []string {
	seen := map[string]bool{}
	for _, t := range m.Tables {
		for _, p := range t.SelectPermissions {
			seen[p.Role] = true
		}
		for _, p := range t.InsertPermissions {
			seen[p.Role] = true
		}
		for _, p := range t.UpdatePermissions {
			seen[p.Role] = true
		}
		for _, p := range t.DeletePermissions {
			seen[p.Role] = true
		}
	}
	for _, a := range m.Actions {
		for _, r := range a.Roles {
			seen[r] = true
		}
	}
	roles := make([]string, 0, len(seen))
	for r := range seen {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	return roles
}

// QualifiedName returns "schema.name".
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// Relationship returns the relationship named name, or nil.
func (t *Table) Relationship(name string) *Relationship {
	for _, r := range t.Relationships {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// SelectPermission returns role's select permission, or nil.
func (t *Table) SelectPermission(role string) *SelectPermission {
	for _, p := range t.SelectPermissions {
		if p.Role == role {
			return p
		}
	}
	return nil
}

// InsertPermission returns role's insert permission, or nil.
func (t *Table) InsertPermission(role string) *InsertPermission {
	for _, p := range t.InsertPermissions {
		if p.Role == role {
			return p
		}
	}
	return nil
}

// UpdatePermission returns role's update permission, or nil.
func (t *Table) UpdatePermission(role string) *UpdatePermission {
	for _, p := range t.UpdatePermissions {
		if p.Role == role {
			return p
		}
	}
	return nil
}

// DeletePermission returns role's delete permission, or nil.
func (t *Table) DeletePermission(role string) *DeletePermission {
	for _, p := range t.DeletePermissions {
		if p.Role == role {
			return p
		}
	}
	return nil
}
