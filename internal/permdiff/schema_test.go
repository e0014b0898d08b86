package permdiff

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
)

// fixtureTable is the part of a table entry of the fixture's YAML that
// the harness copies by hand.
type fixtureTable struct {
	Table struct {
		Name string `yaml:"name"`
	} `yaml:"table"`
	ObjectRelationships []struct {
		Name  string `yaml:"name"`
		Using struct {
			FK string `yaml:"foreign_key_constraint_on"`
		} `yaml:"using"`
	} `yaml:"object_relationships"`
	ArrayRelationships []struct {
		Name  string `yaml:"name"`
		Using struct {
			FK struct {
				Table struct {
					Name string `yaml:"name"`
				} `yaml:"table"`
				Column string `yaml:"column"`
			} `yaml:"foreign_key_constraint_on"`
		} `yaml:"using"`
	} `yaml:"array_relationships"`
	SelectPermissions []struct {
		Role       string `yaml:"role"`
		Permission struct {
			Columns      any  `yaml:"columns"`
			Filter       any  `yaml:"filter"`
			Limit        int  `yaml:"limit"`
			Aggregations bool `yaml:"allow_aggregations"`
		} `yaml:"permission"`
	} `yaml:"select_permissions"`
}

// TestPermissionsMatchFixture compares the hand-written copy of the
// fixture's permissions and relationships (chinookRoles, chinookRels)
// with the YAML, read here with a plain YAML decoder rather than hasgen's
// metadata package: the reference must not inherit its bugs, but it must
// not drift from the file either. The filters are checked by the runs
// themselves: a policy that disagrees with the fixture shows up as
// differences.
func TestPermissionsMatchFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "chinook", "hasgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tables []fixtureTable
	if err := yaml.Unmarshal(b, &tables); err != nil {
		t.Fatal(err)
	}
	type relKey struct {
		table, name   string
		array         bool
		local, remote string
		to            string
	}
	var gotRels, wantRels []relKey
	for _, r := range chinookRels {
		gotRels = append(gotRels, relKey{r.table, r.name, r.array, r.local, r.remote, r.to})
	}
	pks := map[string]string{}
	for _, ct := range chinookTables {
		pks[ct.name] = ct.pk[0]
	}
	gotPerms := map[string]map[string]Permission{}
	for _, r := range chinookRoles() {
		if r.Admin() {
			continue
		}
		gotPerms[r.Name] = map[string]Permission{}
		for tn, p := range r.Perms {
			gotPerms[r.Name][tn] = *p
		}
	}
	wantPerms := map[string]map[string]Permission{}
	for _, ft := range tables {
		tn := ft.Table.Name
		if _, ok := pks[tn]; !ok {
			continue // a Pagila table tracked by the fixture
		}
		for _, o := range ft.ObjectRelationships {
			wantRels = append(wantRels, relKey{tn, o.Name, false, o.Using.FK, "id", targetOf(tn, o.Using.FK)})
		}
		for _, a := range ft.ArrayRelationships {
			wantRels = append(wantRels, relKey{tn, a.Name, true, "id", a.Using.FK.Column, a.Using.FK.Table.Name})
		}
		for _, sp := range ft.SelectPermissions {
			p := Permission{Limit: sp.Permission.Limit, Aggregations: sp.Permission.Aggregations,
				Session: strings.Contains(strings.ToLower(fmt.Sprint(sp.Permission.Filter)), "x-hasura-user-id")}
			switch c := sp.Permission.Columns.(type) {
			case string: // '*'
			case []any:
				p.Columns = []string{}
				for _, x := range c {
					p.Columns = append(p.Columns, x.(string))
				}
			default:
				t.Fatalf("%s: columns %T", tn, c)
			}
			if wantPerms[sp.Role] == nil {
				wantPerms[sp.Role] = map[string]Permission{}
			}
			wantPerms[sp.Role][tn] = p
		}
	}
	key := func(a, b relKey) int {
		if a.table != b.table {
			return cmpStr(a.table, b.table)
		}
		return cmpStr(a.name, b.name)
	}
	slices.SortFunc(gotRels, key)
	slices.SortFunc(wantRels, key)
	if d := cmp.Diff(wantRels, gotRels, cmp.AllowUnexported(relKey{})); d != "" {
		t.Errorf("relationships (-fixture +chinookRels):\n%s", d)
	}
	if d := cmp.Diff(wantPerms, gotPerms); d != "" {
		t.Errorf("select permissions (-fixture +chinookRoles):\n%s", d)
	}
}

// targetOf names the table an object relationship's foreign key column
// points at, as Chinook's constraints say.
func targetOf(table, column string) string {
	switch column {
	case "artist_id":
		return "artists"
	case "support_rep_id", "reports_to":
		return "employees"
	case "invoice_id":
		return "invoices"
	case "track_id":
		return "tracks"
	case "customer_id":
		return "customers"
	case "playlist_id":
		return "playlists"
	case "album_id":
		return "albums"
	case "genre_id":
		return "genres"
	case "media_type_id":
		return "media_types"
	}
	return "?" + table + "." + column
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
