-- Later changes the replay must follow.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS referrer_id INTEGER REFERENCES customers (id);
ALTER TABLE customers RENAME COLUMN nickname TO display_name;
ALTER TABLE orders ALTER COLUMN note SET NOT NULL, ALTER COLUMN note SET DEFAULT '';
ALTER TABLE products ALTER COLUMN rating TYPE DOUBLE PRECISION;
ALTER TABLE events DROP COLUMN IF EXISTS ip;
ALTER TABLE categories RENAME TO product_categories;
ALTER TYPE order_status ADD VALUE 'cancelled';
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded' BEFORE 'shipped';
ALTER TABLE customers ALTER COLUMN score DROP DEFAULT;
ALTER TABLE products ADD COLUMN category_id INT REFERENCES product_categories (id);
ALTER TABLE events ALTER COLUMN kind TYPE VARCHAR(40);
