-- The select permissions of testdata/fixtures/chinook/hasgen.yaml written
-- by hand as PostgreSQL row-level security, the reference side of permdiff.
-- One database role per Hasura role: its column list becomes column
-- grants, its filter a policy reading the session variables from the
-- hasura.user setting, as Hasura passes them to Postgres. A table a role
-- has no permission on gets no grant at all, so reference SQL that reads
-- it fails instead of returning rows. The permission's limit and
-- allow_aggregations have no RLS equivalent: the translator applies them.
--
-- Roles are cluster-wide and may already exist (another database of the
-- same cluster ran this file): they are created only when missing. The
-- rest is per database and may run again.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['pd_admin', 'pd_customer', 'pd_employee'] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			BEGIN
				EXECUTE format('CREATE ROLE %I NOLOGIN', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL; -- created at the same moment by another session
			END;
		END IF;
	END LOOP;
END
$$;

-- admin: every row and column (BYPASSRLS needs a superuser, so admin is
-- a role without RLS restrictions of its own: policies USING (true)).
GRANT SELECT ON albums, artists, customers, employees, genres, invoice_lines,
	invoices, media_types, playlist_track, playlists, tracks TO pd_admin;

ALTER TABLE albums ENABLE ROW LEVEL SECURITY;
ALTER TABLE artists ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE employees ENABLE ROW LEVEL SECURITY;
ALTER TABLE genres ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE media_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE playlist_track ENABLE ROW LEVEL SECURITY;
ALTER TABLE playlists ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracks ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS pd_admin_select ON albums;
CREATE POLICY pd_admin_select ON albums FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON artists;
CREATE POLICY pd_admin_select ON artists FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON customers;
CREATE POLICY pd_admin_select ON customers FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON employees;
CREATE POLICY pd_admin_select ON employees FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON genres;
CREATE POLICY pd_admin_select ON genres FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON invoice_lines;
CREATE POLICY pd_admin_select ON invoice_lines FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON invoices;
CREATE POLICY pd_admin_select ON invoices FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON media_types;
CREATE POLICY pd_admin_select ON media_types FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON playlist_track;
CREATE POLICY pd_admin_select ON playlist_track FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON playlists;
CREATE POLICY pd_admin_select ON playlists FOR SELECT TO pd_admin USING (true);
DROP POLICY IF EXISTS pd_admin_select ON tracks;
CREATE POLICY pd_admin_select ON tracks FOR SELECT TO pd_admin USING (true);

-- customer: the catalogue, their own customers row, their invoices and
-- the lines of their invoices.
GRANT SELECT (id, title, artist_id) ON albums TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON albums;
CREATE POLICY pd_customer_select ON albums FOR SELECT TO pd_customer USING (true);

GRANT SELECT (id, name) ON artists TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON artists;
CREATE POLICY pd_customer_select ON artists FOR SELECT TO pd_customer USING (true);

GRANT SELECT (id, first_name, last_name, email, country, support_rep_id) ON customers TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON customers;
CREATE POLICY pd_customer_select ON customers FOR SELECT TO pd_customer
	USING (id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int);

GRANT SELECT (id, name) ON genres TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON genres;
CREATE POLICY pd_customer_select ON genres FOR SELECT TO pd_customer USING (true);

GRANT SELECT (id, invoice_id, track_id, unit_price, quantity) ON invoice_lines TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON invoice_lines;
-- filter: {invoice: {customer_id: {_eq: X-Hasura-User-Id}}}
CREATE POLICY pd_customer_select ON invoice_lines FOR SELECT TO pd_customer
	USING (EXISTS (SELECT 1 FROM invoices i WHERE i.id = invoice_lines.invoice_id
		AND i.customer_id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int));

GRANT SELECT (id, customer_id, invoice_date, billing_country, total) ON invoices TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON invoices;
CREATE POLICY pd_customer_select ON invoices FOR SELECT TO pd_customer
	USING (customer_id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int);

GRANT SELECT (id, name, album_id, genre_id, milliseconds, unit_price) ON tracks TO pd_customer;
DROP POLICY IF EXISTS pd_customer_select ON tracks;
CREATE POLICY pd_customer_select ON tracks FOR SELECT TO pd_customer USING (true);

-- employee: the catalogue, every employee (some columns), the customers
-- they support and those customers' invoices.
GRANT SELECT ON albums TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON albums;
CREATE POLICY pd_employee_select ON albums FOR SELECT TO pd_employee USING (true);

GRANT SELECT ON artists TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON artists;
CREATE POLICY pd_employee_select ON artists FOR SELECT TO pd_employee USING (true);

GRANT SELECT ON customers TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON customers;
CREATE POLICY pd_employee_select ON customers FOR SELECT TO pd_employee
	USING (support_rep_id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int);

GRANT SELECT (id, first_name, last_name, title, reports_to, email) ON employees TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON employees;
CREATE POLICY pd_employee_select ON employees FOR SELECT TO pd_employee USING (true);

GRANT SELECT ON invoices TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON invoices;
-- filter: {customer: {support_rep_id: {_eq: X-Hasura-User-Id}}}
CREATE POLICY pd_employee_select ON invoices FOR SELECT TO pd_employee
	USING (EXISTS (SELECT 1 FROM customers c WHERE c.id = invoices.customer_id
		AND c.support_rep_id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int));

GRANT SELECT ON tracks TO pd_employee;
DROP POLICY IF EXISTS pd_employee_select ON tracks;
CREATE POLICY pd_employee_select ON tracks FOR SELECT TO pd_employee USING (true);
