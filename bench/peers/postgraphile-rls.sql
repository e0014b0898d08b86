-- Row-level security for PostGraphile's role-filtered query
-- (CustomerInvoicesRole), mirroring the `customer` role of hasgen's fixture
-- (testdata/fixtures/chinook/hasgen.yaml): a customer reads their own
-- customer row, their invoices and those invoices' lines, and any track.
-- PostGraphile runs such a request as the role bench_customer with
-- jwt.claims.user_id set (pgSettings); see postgraphile4/server.js and
-- postgraphile5/server.mjs.
--
-- The other contenders connect as a superuser, which bypasses row-level
-- security, so this changes nothing for them (the harness checks that
-- every contender still returns the same data).
DO $$
BEGIN
  CREATE ROLE bench_customer NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO bench_customer;
-- Table grants: PostGraphile 4 reads more columns than the query names, so
-- column grants like hasgen's column lists would fail it.
GRANT SELECT ON customers, invoices, invoice_lines, tracks TO bench_customer;

ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY bench_customer_select ON customers FOR SELECT TO bench_customer
  USING (id = nullif(current_setting('jwt.claims.user_id', true), '')::int);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY bench_customer_select ON invoices FOR SELECT TO bench_customer
  USING (customer_id = nullif(current_setting('jwt.claims.user_id', true), '')::int);

ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY bench_customer_select ON invoice_lines FOR SELECT TO bench_customer
  USING (EXISTS (SELECT 1 FROM invoices i WHERE i.id = invoice_id AND i.customer_id = nullif(current_setting('jwt.claims.user_id', true), '')::int));
