-- hasgen example: a small chat-and-delivery app.
--
--   users, channels, channel_members, messages: members read only their
--     channels' messages (a filter through relationships);
--   orders: a customer sees their orders, a delivery agent the orders
--     assigned to them, with a live status;
--   invoices: an analyst sees only paid ones, without the customer's
--     private columns.
--
-- Load into an empty database: psql -v ON_ERROR_STOP=1 -d app -f schema.sql

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TYPE order_status AS ENUM ('placed', 'preparing', 'out_for_delivery', 'delivered', 'cancelled');
CREATE TYPE invoice_status AS ENUM ('draft', 'issued', 'paid', 'void');

CREATE TABLE users (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL UNIQUE,
    is_agent   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'People using the app: customers, delivery agents and analysts.';
COMMENT ON COLUMN users.email IS 'Private: only admin sees it.';

CREATE TABLE channels (
    id         serial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    is_private boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE channels IS 'Chat channels. Members read their messages.';

CREATE TABLE channel_members (
    channel_id integer NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, user_id)
);

CREATE TABLE messages (
    id         bigserial PRIMARY KEY,
    channel_id integer NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    author_id  integer NOT NULL REFERENCES users (id),
    body       text NOT NULL CHECK (body <> ''),
    meta       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_channel_id_id ON messages (channel_id, id);
COMMENT ON TABLE messages IS 'Messages of a channel; stream them with messages_stream.';

CREATE TABLE orders (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id integer NOT NULL REFERENCES users (id),
    agent_id   integer REFERENCES users (id),
    status     order_status NOT NULL DEFAULT 'placed',
    items      jsonb NOT NULL DEFAULT '[]',
    total      numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_id ON orders (customer_id);
CREATE INDEX orders_agent_id ON orders (agent_id);

CREATE TABLE invoices (
    id              serial PRIMARY KEY,
    order_id        uuid NOT NULL UNIQUE REFERENCES orders (id),
    customer_id     integer NOT NULL REFERENCES users (id),
    amount          numeric(12, 2) NOT NULL,
    currency        char(3) NOT NULL DEFAULT 'EUR',
    status          invoice_status NOT NULL DEFAULT 'draft',
    tags            text[] NOT NULL DEFAULT '{}',
    billing_address text,
    tax_id          text,
    issued_at       timestamptz,
    paid_at         timestamptz
);
COMMENT ON COLUMN invoices.billing_address IS 'Private to the customer.';
COMMENT ON COLUMN invoices.tax_id IS 'Private to the customer.';

-- Seed data.
INSERT INTO users (name, email, is_agent, created_at) VALUES
    ('Ada',    'ada@example.com',    false, '2024-01-01 09:00:00+00'),
    ('Brian',  'brian@example.com',  false, '2024-01-02 09:00:00+00'),
    ('Chen',   'chen@example.com',   true,  '2024-01-03 09:00:00+00'),
    ('Dolores','dolores@example.com',true,  '2024-01-04 09:00:00+00'),
    ('Eve',    'eve@example.com',    false, '2024-01-05 09:00:00+00');

INSERT INTO channels (name, is_private, created_at) VALUES
    ('general',   false, '2024-01-01 10:00:00+00'),
    ('engineering', true, '2024-01-01 10:05:00+00'),
    ('random',    false, '2024-01-01 10:10:00+00');

INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES
    (1, 1, '2024-01-01 10:00:00+00'), (1, 2, '2024-01-02 10:00:00+00'), (1, 3, '2024-01-03 10:00:00+00'),
    (2, 1, '2024-01-01 10:06:00+00'), (2, 3, '2024-01-03 10:06:00+00'),
    (3, 2, '2024-01-02 11:00:00+00'), (3, 5, '2024-01-05 11:00:00+00');

INSERT INTO messages (channel_id, author_id, body, meta, created_at) VALUES
    (1, 1, 'Welcome to general!',          '{"pinned": true}',            '2024-02-01 08:00:00+00'),
    (1, 2, 'Hi all',                        '{}',                          '2024-02-01 08:01:00+00'),
    (1, 3, 'Deliveries start at nine.',     '{"tags": ["ops"]}',           '2024-02-01 08:02:00+00'),
    (2, 1, 'Deploy at 5pm',                 '{"tags": ["deploy", "ops"]}', '2024-02-01 09:00:00+00'),
    (2, 3, 'Ack',                           '{}',                          '2024-02-01 09:01:00+00'),
    (3, 2, 'Anyone for lunch?',             '{}',                          '2024-02-01 12:00:00+00'),
    (3, 5, 'Me!',                           '{"reaction": "tada"}',        '2024-02-01 12:01:00+00');

INSERT INTO orders (id, customer_id, agent_id, status, items, total, created_at, updated_at) VALUES
    ('11111111-1111-4111-8111-111111111111', 1, 3,    'delivered',        '[{"sku": "tea", "qty": 2}]',    12.50, '2024-03-01 10:00:00+00', '2024-03-01 11:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 1, 4,    'out_for_delivery', '[{"sku": "coffee", "qty": 1}]',  8.00, '2024-03-02 10:00:00+00', '2024-03-02 10:30:00+00'),
    ('33333333-3333-4333-8333-333333333333', 2, 3,    'preparing',        '[{"sku": "cake", "qty": 1}]',   23.90, '2024-03-03 10:00:00+00', '2024-03-03 10:05:00+00'),
    ('44444444-4444-4444-8444-444444444444', 5, NULL, 'placed',           '[{"sku": "tea", "qty": 5}]',    31.25, '2024-03-04 10:00:00+00', '2024-03-04 10:00:00+00');

INSERT INTO invoices (order_id, customer_id, amount, currency, status, tags, billing_address, tax_id, issued_at, paid_at) VALUES
    ('11111111-1111-4111-8111-111111111111', 1, 12.50, 'EUR', 'paid',   '{food,express}', '1 Analytical St, London', 'GB123', '2024-03-01 11:00:00+00', '2024-03-01 12:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 1,  8.00, 'EUR', 'issued', '{food}',         '1 Analytical St, London', 'GB123', '2024-03-02 11:00:00+00', NULL),
    ('33333333-3333-4333-8333-333333333333', 2, 23.90, 'USD', 'paid',   '{}',             '2 Kernel Rd, Boston',     NULL,    '2024-03-03 11:00:00+00', '2024-03-03 11:30:00+00'),
    ('44444444-4444-4444-8444-444444444444', 5, 31.25, 'EUR', 'draft',  '{bulk}',         NULL,                      NULL,    NULL,                     NULL);
