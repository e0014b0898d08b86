package metadata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
)

// chinook mirrors chinook_pg_serial_pk_proper_naming.sql of the
// chinook-graphql-bench dataset: its tables, columns and foreign keys.
func chinook() *introspect.Schema {
	t := func(name string, pk []string, cols ...string) introspect.Table {
		tb := table("public", name, cols...)
		tb.PrimaryKey = &introspect.Constraint{Name: "pk_" + name, Columns: pk}
		return tb
	}
	albums := t("albums", []string{"id"}, "id int4", "title varchar", "artist_id int4")
	albums.ForeignKeys = []introspect.ForeignKey{fk("fk_album_artist_id", []string{"artist_id"}, "artists", []string{"id"})}
	customers := t("customers", []string{"id"}, "id int4", "first_name varchar", "last_name varchar", "company varchar",
		"address varchar", "city varchar", "state varchar", "country varchar", "postal_code varchar", "phone varchar",
		"fax varchar", "email varchar", "support_rep_id int4")
	customers.ForeignKeys = []introspect.ForeignKey{fk("fk_customer_support_rep_id", []string{"support_rep_id"}, "employees", []string{"id"})}
	employees := t("employees", []string{"id"}, "id int4", "last_name varchar", "first_name varchar", "title varchar",
		"reports_to int4", "birth_date timestamp", "hire_date timestamp", "address varchar", "city varchar", "state varchar",
		"country varchar", "postal_code varchar", "phone varchar", "fax varchar", "email varchar")
	employees.ForeignKeys = []introspect.ForeignKey{fk("fk_employee_reports_to", []string{"reports_to"}, "employees", []string{"id"})}
	invoices := t("invoices", []string{"id"}, "id int4", "customer_id int4", "invoice_date timestamp", "billing_address varchar",
		"billing_city varchar", "billing_state varchar", "billing_country varchar", "billing_postal_code varchar", "total numeric")
	invoices.ForeignKeys = []introspect.ForeignKey{fk("fk_invoice_customer_id", []string{"customer_id"}, "customers", []string{"id"})}
	invoiceLines := t("invoice_lines", []string{"id"}, "id int4", "invoice_id int4", "track_id int4", "unit_price numeric", "quantity int4")
	invoiceLines.ForeignKeys = []introspect.ForeignKey{
		fk("fk_invoice_line_invoice_id", []string{"invoice_id"}, "invoices", []string{"id"}),
		fk("fk_invoice_line_track_id", []string{"track_id"}, "tracks", []string{"id"}),
	}
	playlistTrack := t("playlist_track", []string{"playlist_id", "track_id"}, "playlist_id int4", "track_id int4")
	playlistTrack.ForeignKeys = []introspect.ForeignKey{
		fk("fk_playlist_track_playlist_id", []string{"playlist_id"}, "playlists", []string{"id"}),
		fk("fk_playlist_track_track_id", []string{"track_id"}, "tracks", []string{"id"}),
	}
	tracks := t("tracks", []string{"id"}, "id int4", "name varchar", "album_id int4", "media_type_id int4", "genre_id int4",
		"composer varchar", "milliseconds int4", "bytes int4", "unit_price numeric")
	tracks.ForeignKeys = []introspect.ForeignKey{
		fk("fk_track_album_id", []string{"album_id"}, "albums", []string{"id"}),
		fk("fk_track_genre_id", []string{"genre_id"}, "genres", []string{"id"}),
		fk("fk_track_media_type_id", []string{"media_type_id"}, "media_types", []string{"id"}),
	}
	s := &introspect.Schema{
		Version: introspect.SnapshotVersion,
		Schemas: []string{"public"},
		Tables: []introspect.Table{
			albums, t("artists", []string{"id"}, "id int4", "name varchar"), customers, employees,
			t("genres", []string{"id"}, "id int4", "name varchar"), invoices, invoiceLines,
			t("media_types", []string{"id"}, "id int4", "name varchar"),
			t("playlists", []string{"id"}, "id int4", "name varchar"), playlistTrack, tracks,
		},
	}
	s.Sort()
	return s
}

// sharedDataset returns the path of a file of the shared datasets, which
// sit beside the repository.
func sharedDataset(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(golden.Dir(t)), "..", "..", "shared", "datasets", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the shared datasets must sit beside the repository: %v", err)
	}
	return p
}

// describeRel writes a relationship the way the Hasura metadata API
// declares it, to compare the two.
func describeRel(table, name string, kind RelKind, using string) string {
	return kind.String() + " " + table + "." + name + " using " + using
}

func TestInferChinookMatchesHasura(t *testing.T) {
	data, err := os.ReadFile(sharedDataset(t, "chinook-graphql-bench/psql_track_chinook_relationships.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bulk struct {
		Args []struct {
			Type string `json:"type"`
			Args struct {
				Name  string                `json:"name"`
				Table struct{ Name string } `json:"table"`
				Using struct {
					FK json.RawMessage `json:"foreign_key_constraint_on"`
				} `json:"using"`
			} `json:"args"`
		} `json:"args"`
	}
	if err := json.Unmarshal(data, &bulk); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range bulk.Args {
		kind := ObjectRelationship
		if a.Type == "pg_create_array_relationship" {
			kind = ArrayRelationship
		}
		var using string
		var col string
		var reverse struct {
			Table  struct{ Name string } `json:"table"`
			Column string                `json:"column"`
		}
		if json.Unmarshal(a.Args.Using.FK, &col) == nil {
			using = col
		} else if err := json.Unmarshal(a.Args.Using.FK, &reverse); err == nil {
			using = reverse.Table.Name + "." + reverse.Column
		} else {
			t.Fatalf("unexpected foreign_key_constraint_on %s", a.Args.Using.FK)
		}
		want = append(want, describeRel(a.Args.Table.Name, a.Args.Name, kind, using))
	}

	var got []string
	for _, tb := range Infer(chinook()).Tables {
		for _, r := range tb.Relationships {
			using := r.Columns[0].Local
			if r.Reverse {
				using = r.RemoteTable + "." + r.Columns[0].Remote
			}
			got = append(got, describeRel(tb.Name, r.Name, r.Kind, using))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(want) != 22 {
		t.Errorf("the dataset declares %d relationships, want 22", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inferred relationships differ from Hasura's (-want +got):\n%s", diff)
	}
}

func TestStarterChinookGolden(t *testing.T) {
	b, err := Starter(chinook())
	if err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, filepath.Join(golden.Dir(t), "metadata", "chinook_starter.yaml"), b)
}

// TestStarterLoads checks that what init writes loads with no problem and
// back to the same relationships.
func TestStarterLoads(t *testing.T) {
	for name, s := range map[string]*introspect.Schema{"chinook": chinook(), "blog": blog(), "names": namingSchema()} {
		t.Run(name, func(t *testing.T) {
			b, err := Starter(s)
			if err != nil {
				t.Fatal(err)
			}
			m, err := LoadFS(fstest.MapFS{"hasgen.yaml": {Data: b}}, "hasgen.yaml", s)
			if err != nil {
				t.Fatalf("the starter file does not load:\n%v\n%s", err, b)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			if len(m.Tables) != len(s.Tables) {
				t.Errorf("%d tables tracked, want %d", len(m.Tables), len(s.Tables))
			}
			if diff := cmp.Diff(relationshipsOf(Infer(s)), relationshipsOf(m)); diff != "" {
				t.Errorf("relationships changed through the file (-inferred +loaded):\n%s", diff)
			}
			if roles := m.Roles(); len(roles) != 0 {
				t.Errorf("roles = %v, want none", roles)
			}
		})
	}
}

func relationshipsOf(m *Metadata) []string {
	var out []string
	for _, t := range m.Tables {
		for _, r := range t.Relationships {
			out = append(out, t.QualifiedName()+"."+r.Name+" "+r.Kind.String()+" "+r.RemoteSchema+"."+r.RemoteTable+" "+
				r.Constraint+" "+strings.TrimSpace(strings.Repeat("reverse", b2i(r.Reverse)))+" "+r.InsertionOrder.String()+" "+pairs(r.Columns))
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pairs(ps []ColumnPair) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Local+"="+p.Remote)
	}
	return strings.Join(s, ",")
}

// namingSchema exercises the naming rules: two keys to the same table, a
// relationship name taken by a column, a one-to-one key, a composite key,
// a name that is not a GraphQL name, and a PascalCase table.
func namingSchema() *introspect.Schema {
	users := table("public", "users", "id int4", "name text", "messages text")
	messages := table("public", "messages", "id int4", "sender_id int4", "recipient_id int4", "user int4")
	messages.ForeignKeys = []introspect.ForeignKey{
		fk("messages_recipient_id_fkey", []string{"recipient_id"}, "users", []string{"id"}),
		fk("messages_sender_id_fkey", []string{"sender_id"}, "users", []string{"id"}),
	}
	profiles := table("public", "profiles", "user_id int4", "bio text")
	profiles.ForeignKeys = []introspect.ForeignKey{fk("profiles_user_id_fkey", []string{"user_id"}, "users", []string{"id"})}
	parts := table("public", "parts", "a int4", "b int4")
	parts.PrimaryKey.Columns = []string{"a", "b"}
	partUses := table("public", "part_uses", "id int4", "a int4", "b int4")
	partUses.ForeignKeys = []introspect.ForeignKey{fk("part_uses_a_b_fkey", []string{"a", "b"}, "parts", []string{"a", "b"})}
	weird := table("public", "2fa-codes", "id int4", "user_id int4")
	weird.ForeignKeys = []introspect.ForeignKey{fk("codes_user_fkey", []string{"user_id"}, "users", []string{"id"})}
	artist := table("public", "Artist", "ArtistId int4", "Name text")
	album := table("public", "Album", "AlbumId int4", "ArtistId int4")
	album.ForeignKeys = []introspect.ForeignKey{fk("FK_AlbumArtistId", []string{"ArtistId"}, "Artist", []string{"ArtistId"})}
	categories := table("public", "categories", "id int4", "parent_id int4")
	categories.ForeignKeys = []introspect.ForeignKey{fk("categories_parent_id_fkey", []string{"parent_id"}, "categories", []string{"id"})}
	s := &introspect.Schema{Schemas: []string{"public"}, Tables: []introspect.Table{users, messages, profiles, parts, partUses, weird, artist, album, categories}}
	s.Sort()
	return s
}

func TestInferNames(t *testing.T) {
	var got []string
	for _, tb := range Infer(namingSchema()).Tables {
		for _, r := range tb.Relationships {
			got = append(got, tb.Name+"."+r.Name+" "+r.Kind.String()+" "+pairs(r.Columns))
		}
	}
	want := []string{
		"2fa-codes.user object user_id=id",
		"Album.Artist object ArtistId=ArtistId",
		"Artist.Albums array ArtistId=ArtistId",
		"categories.category object parent_id=id",
		"categories.categories array id=parent_id",
		"messages.userByRecipientId object recipient_id=id",
		"messages.userBySenderId object sender_id=id",
		"part_uses.part object a=a,b=b",
		"parts.part_uses array a=a,b=b",
		"profiles.user object user_id=id",
		"users.profile object id=user_id",
		"users._2fa_codes array id=user_id",
		"users.messagesByRecipientId array id=recipient_id",
		"users.messagesBySenderId array id=sender_id",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestInflection(t *testing.T) {
	tests := []struct{ singular, plural string }{
		{"album", "albums"}, {"employee", "employees"}, {"invoice_line", "invoice_lines"},
		{"media_type", "media_types"}, {"playlist_track", "playlist_tracks"}, {"category", "categories"},
		{"address", "addresses"}, {"status", "statuses"}, {"person", "people"}, {"child", "children"},
		{"box", "boxes"}, {"match", "matches"}, {"wolf", "wolves"}, {"knife", "knives"}, {"analysis", "analyses"},
		{"quiz", "quizzes"}, {"mouse", "mice"}, {"user_info", "user_infos"}, {"series", "series"},
		{"Track", "Tracks"}, {"day", "days"}, {"bus", "buses"}, {"potato", "potatoes"}, {"staff", "staff"},
	}
	for _, tt := range tests {
		if got := plural(tt.singular); got != tt.plural {
			t.Errorf("plural(%q) = %q, want %q", tt.singular, got, tt.plural)
		}
		if got := plural(tt.plural); got != tt.plural {
			t.Errorf("plural(%q) = %q, want it unchanged", tt.plural, got)
		}
		if got := singular(tt.plural); got != tt.singular {
			t.Errorf("singular(%q) = %q, want %q", tt.plural, got, tt.singular)
		}
		if got := singular(tt.singular); got != tt.singular {
			t.Errorf("singular(%q) = %q, want it unchanged", tt.singular, got)
		}
	}
}
