package templates_test

import (
	"go/format"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/templates"
)

// chinookTriggers are event triggers over Chinook: two on one table, one
// whose payload leaves columns out, names that clash once made Go
// identifiers, a manual one.
func chinookTriggers() []events.Trigger {
	every := &events.Operation{}
	return []events.Trigger{
		{Name: "track_changed", Schema: "public", Table: "tracks", Update: &events.Operation{Columns: []string{"name", "unit_price"}, Payload: []string{"id", "name", "unit_price"}}, Webhook: "http://hooks/track"},
		{Name: "notify_artist", Schema: "public", Table: "artists", Insert: every, Update: every, Delete: every, Webhook: "http://hooks/artist"},
		{Name: "notifyArtist", Schema: "public", Table: "artists", EnableManual: true, Webhook: "http://hooks/artist2"},
		{Name: "invoice_paid", Schema: "public", Table: "invoices", Insert: every, WebhookFromEnv: "INVOICE_HOOK"},
	}
}

// TestEventsGolden compares events/events.go and events/handlers.go for
// chinookTriggers, and the files of a project without triggers, with
// testdata/golden/events/.
func TestEventsGolden(t *testing.T) {
	p := chinookProject(t)
	cases := []struct {
		name     string
		triggers []events.Trigger
	}{
		{"chinook", chinookTriggers()},
		{"none", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gen, err := templates.Events(p, c.triggers, "hasgen.yaml")
			if err != nil {
				t.Fatal(err)
			}
			user, err := templates.EventHandlers(p, c.triggers)
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{"events.go": gen, "handlers.go": user} {
				formatted, err := format.Source(b)
				if err != nil {
					t.Fatalf("%s does not parse: %v\n%s", name, err, b)
				}
				if string(formatted) != string(b) {
					t.Errorf("%s is not gofmt'd", name)
				}
				golden.Compare(t, filepath.Join(golden.Dir(t), "events", c.name, name+".txt"), b)
			}
			// The same input gives the same bytes, whatever the order of
			// the triggers.
			rev := append([]events.Trigger(nil), c.triggers...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			again, err := templates.Events(p, rev, "hasgen.yaml")
			if err != nil || string(again) != string(gen) {
				t.Errorf("events.go differs for the triggers in another order (err %v)", err)
			}
		})
	}
}

// TestEventsUntrackedTable: a trigger on a table the metadata does not
// track is an error naming the trigger and the table.
func TestEventsUntrackedTable(t *testing.T) {
	p := chinookProject(t)
	tr := []events.Trigger{{Name: "ghost", Schema: "public", Table: "nope", Insert: &events.Operation{}, Webhook: "http://x"}}
	for name, render := range map[string]func() ([]byte, error){
		"events.go":   func() ([]byte, error) { return templates.Events(p, tr, "hasgen.yaml") },
		"handlers.go": func() ([]byte, error) { return templates.EventHandlers(p, tr) },
	} {
		_, err := render()
		if err == nil || !strings.Contains(err.Error(), "event trigger ghost: table public.nope is not tracked") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
