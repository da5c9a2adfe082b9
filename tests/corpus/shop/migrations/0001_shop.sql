-- Corpus schema: varied types, enums, domains, identity/serial columns, arrays, jsonb.
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN positive_int AS integer NOT NULL CHECK (VALUE > 0);

CREATE TABLE customers (
    id SERIAL PRIMARY KEY,
    email email_address NOT NULL UNIQUE,
    name VARCHAR(100) NOT NULL,
    nickname TEXT,
    tags TEXT[] NOT NULL DEFAULT '{}',
    metadata JSONB,
    birthday DATE,
    score NUMERIC(10, 2) NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku CHAR(8) NOT NULL UNIQUE,
    title TEXT NOT NULL,
    price NUMERIC(12, 2) NOT NULL,
    stock SMALLINT NOT NULL DEFAULT 0,
    attributes JSONB NOT NULL DEFAULT '{}'::jsonb,
    weights DOUBLE PRECISION[],
    image BYTEA,
    rating REAL
);

CREATE TABLE orders (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status order_status NOT NULL DEFAULT 'pending',
    total NUMERIC(12, 2),
    placed_at TIMESTAMP NOT NULL DEFAULT now(),
    note TEXT
);

CREATE TABLE order_items (
    order_id UUID REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT REFERENCES products (id),
    qty INTEGER NOT NULL,
    unit_price NUMERIC(12, 2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX idx_orders_customer ON orders (customer_id);
COMMENT ON TABLE orders IS 'customer orders';
