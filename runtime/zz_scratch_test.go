package runtime_test
import "testing"
func TestZZScratch(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", "testdata/fixtures/chinook/hasgen.yaml", false)
	for _, q := range []string{
		`select json_agg(x) from (select album_id, count(*), count(composer) from tracks where album_id <= 12 group by 1 order by 1) x`,
		`select json_agg(x) from (select album_id, count(*) from tracks group by 1 order by 2 desc limit 3) x`,
		`select json_agg(x) from (select support_rep_id, count(*) from customers group by 1 order by 1) x`,
		`select json_agg(x) from (select id, reports_to, title from employees order by 1) x`,
		`select json_agg(x) from (select customer_id, count(*) from invoices where customer_id<=3 group by 1 order by 1) x`,
		`select json_agg(x) from (select track_id, count(distinct i.customer_id) from invoice_lines l join invoices i on i.id=l.invoice_id group by 1 having count(distinct i.customer_id) > 1 order by 1 limit 3) x`,
		`select count(*) from artists a where not exists (select 1 from albums where artist_id=a.id)`,
		`select json_agg(x) from (select count(*), count(composer), count(genre_id), count(album_id) from tracks) x`,
		`select to_json(min(invoice_date))::text || to_json(max(invoice_date))::text from invoices`,
	} {
		t.Logf("%s\n → %v", q, e.sqlJSON(t, q))
	}
}
