package generate_test

// The scheduled triggers of testdata/events (a cron trigger every minute)
// and one-off scheduled events, end to end: see events_e2e_test.go.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
)

// metadataAPI posts a /v1/metadata request as the admin and decodes the
// result into out.
func metadataAPI(t testing.TB, base, typ string, args any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": typ, "args": args})
	status, b, err := postJSON(http.DefaultClient, base+"/v1/metadata", map[string]string{"x-hasura-admin-secret": adminSecret}, body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", typ, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v: %s", typ, err, b)
	}
}

// TestScheduledTriggersThreeInstances: with three servers on one
// database, a one-off scheduled event (created through /v1/metadata) and
// the next occurrence of a cron trigger that fires every minute are each
// delivered once.
func TestScheduledTriggersThreeInstances(t *testing.T) {
	e := newEventsDB(t)
	var servers []*e2e.Server
	for range 3 {
		servers = append(servers, e.start())
	}
	var created struct {
		EventID string `json:"event_id"`
	}
	metadataAPI(t, servers[1].URL, "create_scheduled_event", map[string]any{
		"webhook":     e.hook.URL + "/one-off",
		"schedule_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano),
		"payload":     map[string]string{"from": "one-off"},
		"comment":     "e2e",
	}, &created)
	oneOff := func() []*hookRequest {
		return e.hook.requests(func(r *hookRequest) bool { return r.Path == "/one-off" })
	}
	waitFor(t, "the one-off event delivered", 30*time.Second, func() bool { return len(oneOff()) > 0 })
	waitFor(t, "the one-off event marked delivered", 30*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM hdb_catalog.hdb_scheduled_events WHERE id::text = $1 AND status = 'delivered'`, created.EventID) == 1
	})
	if got := oneOff(); len(got) != 1 {
		t.Errorf("the one-off event was delivered %d times", len(got))
	} else {
		var p struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
			Comment string          `json:"comment"`
		}
		json.Unmarshal(got[0].Body, &p)
		if p.ID != created.EventID || p.Comment != "e2e" {
			t.Errorf("one-off payload %s, event %s", got[0].Body, created.EventID)
		}
		jsonEqual(t, "one-off payload", p.Payload, `{"from": "one-off"}`)
	}

	// The cron trigger fires every minute: its first occurrence after the
	// start comes within a minute (and the fetch interval).
	cron := func() []*hookRequest {
		return e.hook.requests(func(r *hookRequest) bool { return strings.Contains(string(r.Body), `"every_minute"`) })
	}
	waitFor(t, "a cron occurrence delivered", 75*time.Second, func() bool { return len(cron()) > 0 })
	var first struct {
		Name          string          `json:"name"`
		ScheduledTime string          `json:"scheduled_time"`
		Payload       json.RawMessage `json:"payload"`
		ID            string          `json:"id"`
	}
	json.Unmarshal(cron()[0].Body, &first)
	t.Logf("the occurrence of %s arrived at %s", first.ScheduledTime, cron()[0].At.UTC().Format(time.RFC3339Nano))
	jsonEqual(t, "cron payload", first.Payload, `{"from": "cron"}`)
	waitFor(t, "the occurrence marked delivered", 30*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM hdb_catalog.hdb_cron_events WHERE id::text = $1 AND status = 'delivered'`, first.ID) == 1
	})
	same := 0
	for _, r := range cron() {
		if strings.Contains(string(r.Body), first.ScheduledTime) {
			same++
		}
	}
	if same != 1 {
		t.Errorf("the occurrence at %s was delivered %d times", first.ScheduledTime, same)
	}
	if n := e.count(`SELECT count(*) FROM hdb_catalog.hdb_cron_event_invocation_logs WHERE event_id::text = $1`, first.ID); n != 1 {
		t.Errorf("%d invocation logs for the occurrence, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM hdb_catalog.hdb_cron_events WHERE trigger_name = 'every_minute' AND scheduled_time = (SELECT scheduled_time FROM hdb_catalog.hdb_cron_events WHERE id::text = $1)`, first.ID); n != 1 {
		t.Errorf("%d rows for the occurrence, want 1", n)
	}
}
