CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  item text NOT NULL,
  qty int NOT NULL,
  note text
);
INSERT INTO customers (name) VALUES ('ann'), ('bob');
INSERT INTO orders (customer_id, item, qty, note) VALUES (1, 'ann-book', 1, 'ann private'), (2, 'bob-lamp', 50, 'bob private');
