-- Tables whose names go build would misread as file names: a test file,
-- build-constrained files, and two tables that lower-case alike.
CREATE TABLE uuid_test (id uuid PRIMARY KEY, note text);
CREATE TABLE orders_linux (id serial PRIMARY KEY, total int NOT NULL);
CREATE TABLE logs_windows_amd64 (id serial PRIMARY KEY, line text);
CREATE TABLE "Orders" (id serial PRIMARY KEY);
CREATE TABLE orders (id serial PRIMARY KEY);
