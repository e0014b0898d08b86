package model

import (
	"testing"

	"github.com/hasgen/hasgen/metadata"
)

// TestNaming checks names against Hasura's own: its naming_conventions
// tests (server/tests-py/queries/naming_conventions) and docs (the
// custom table name table of docs/schema/postgres/naming-convention).
func TestNaming(t *testing.T) {
	gql := Naming{GraphQLCase: true}
	pre := Naming{GraphQLCase: true, RootPrefix: "test", RootSuffix: "query"}
	preUpper := Naming{GraphQLCase: true, RootPrefix: "Test", RootSuffix: "query"}
	snakePre := Naming{RootPrefix: "test_", RootSuffix: "_query"}
	types := Naming{GraphQLCase: true, TypePrefix: "pre_", TypeSuffix: "_suf"}
	author := Auto("author_local")
	tableOne := Custom("table_one")
	tests := []struct {
		name, got, want string
	}{
		{"select", gql.FieldOf(author), "authorLocal"},
		{"type", gql.TypeOf(author), "AuthorLocal"},
		{"by pk", gql.FieldOf(author.Plus(Auto("by_pk"))), "authorLocalByPk"},
		{"aggregate type", gql.TypeOf(author.Plus(Auto("aggregate_fields"))), "AuthorLocalAggregateFields"},
		{"mutation response", gql.TypeOf(author.Plus(Auto("mutation_response"))), "AuthorLocalMutationResponse"},
		{"insert one", gql.FieldOf(Auto("insert").Plus(author).Plus(Auto("one"))), "insertAuthorLocalOne"},
		{"schema", gql.FieldOf(Auto("app_db").Plus(Auto("app_users")).Plus(Auto("aggregate"))), "appDbAppUsersAggregate"},
		{"column", gql.FieldOf(Auto("favourite_day")), "favouriteDay"},
		{"leading underscore", gql.FieldOf(Auto("_private_key")), "_privateKey"},
		{"custom table select", gql.FieldOf(tableOne), "table_one"},
		{"custom table by pk", gql.FieldOf(tableOne.Plus(Auto("by_pk"))), "table_oneByPk"},
		{"custom table insert one", gql.FieldOf(Auto("insert").Plus(tableOne).Plus(Auto("one"))), "insertTable_oneOne"},
		{"custom TableOne insert one", gql.FieldOf(Auto("insert").Plus(Custom("TableOne")).Plus(Auto("one"))), "insertTableOneOne"},
		{"custom TableOne by pk", gql.FieldOf(Custom("TableOne").Plus(Auto("by_pk"))), "TableOneByPk"},
		{"root prefix suffix", pre.Root(gql.FieldOf(author)), "testAuthorLocalQuery"},
		{"root prefix suffix insert", pre.Root(gql.FieldOf(Auto("insert").Plus(author))), "testInsertAuthorLocalQuery"},
		{"root Prefix kept", preUpper.Root(gql.FieldOf(author.Plus(Auto("by_pk")))), "TestAuthorLocalByPkQuery"},
		{"hasura root prefix suffix", snakePre.Root(snakePre.FieldOf(author.Plus(Auto("by_pk")))), "test_author_local_by_pk_query"},
		{"hasura type", snakePre.TypeOf(author.Plus(Auto("aggregate"))), "author_local_aggregate"},
		{"type prefix suffix", types.TypeOf(author.Plus(Auto("bool_exp"))), "pre_AuthorLocalBoolExp_suf"},
		{"fixed field", gql.Field("order_by"), "orderBy"},
		{"fixed operator", gql.Field("_is_null"), "_isNull"},
		{"fixed kept", gql.Field("_eq"), "_eq"},
		{"comparison type", gql.Type("timestamptz_comparison_exp"), "TimestamptzComparisonExp"},
		{"order_by type", gql.Type("order_by"), "OrderBy"},
		{"enum value", gql.Enum("desc_nulls_last"), "DESC_NULLS_LAST"},
		{"hasura enum value", snakePre.Enum("desc_nulls_last"), "desc_nulls_last"},
		{"namespace type", Naming{Namespace: "shop"}.NamespaceType("query"), "shop_query"},
		{"namespace type graphql", Naming{GraphQLCase: true, Namespace: "shop"}.NamespaceType("mutation"), "shop_mutation_frontend"},
		{"namespace type customized", Naming{GraphQLCase: true, Namespace: "shop", TypePrefix: "T", TypeSuffix: "x"}.NamespaceType("query"), "TShop_queryX"},
		{"relationship aggregate", gql.Names().AggregateField("author_articles"), "authorArticlesAggregate"},
		{"relationship aggregate capital", gql.Names().AggregateField("Tracks"), "tracksAggregate"},
		{"bool_exp relationship aggregate", gql.Names().BoolExpAggregateField("author_articles"), "author_articlesAggregate"},
		{"bool_exp relationship aggregate capital", gql.Names().BoolExpAggregateField("Tracks"), "TracksAggregate"},
		{"order_by relationship aggregate", gql.Names().OrderByAggregateField("Tracks"), "tracksAggregate"},
		{"hasura relationship aggregate", Naming{}.Names().BoolExpAggregateField("Tracks"), "Tracks_aggregate"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestNewNaming checks which naming convention applies: the source's,
// else the server-wide default, else hasura-default.
func TestNewNaming(t *testing.T) {
	tests := []struct {
		source, def string
		want        bool
	}{
		{"", "", false},
		{"", metadata.GraphQLDefault, true},
		{metadata.HasuraDefault, metadata.GraphQLDefault, false},
		{metadata.GraphQLDefault, metadata.HasuraDefault, true},
	}
	for _, tt := range tests {
		got := NewNaming(&metadata.Customization{NamingConvention: tt.source}, tt.def).GraphQLCase
		if got != tt.want {
			t.Errorf("source %q, default %q: graphql-default %v, want %v", tt.source, tt.def, got, tt.want)
		}
	}
	if !NewNaming(nil, metadata.GraphQLDefault).GraphQLCase {
		t.Error("no customization: the default does not apply")
	}
}
