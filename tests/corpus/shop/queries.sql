-- Corpus for the static analysis: every query is described by a real PostgreSQL in
-- tests/test_analysis_corpus.py and the analysis is scored against it.
-- "-- @q NAME" starts a query; "-- @nullable c1 c2" / "-- @notnull c3" give hand-written
-- nullability truth where PostgreSQL is not authoritative (outer joins, expressions).

-- @q c_all
SELECT * FROM customers WHERE id = $1
-- @q c_cols
SELECT id, email, name, display_name, tags FROM customers WHERE email = $1
-- @q c_alias
SELECT c.id AS customer_id, c.name AS "name!", c.display_name AS "nick?" FROM customers c
-- @q c_like
SELECT id, name FROM customers WHERE name ILIKE $1 ORDER BY name LIMIT $2 OFFSET $3
-- @q c_in
SELECT id FROM customers WHERE id IN ($1, $2, $3)
-- @q c_any
SELECT id, score FROM customers WHERE id = ANY($1)
-- @q c_tags_any
SELECT id FROM customers WHERE $1 = ANY(tags)
-- @q c_tags_contains
SELECT id, tags FROM customers WHERE tags @> $1
-- @q c_between
SELECT id, birthday FROM customers WHERE birthday BETWEEN $1 AND $2
-- @q c_count
-- @notnull count
SELECT count(*) FROM customers
-- @q c_count_active
-- @notnull n
SELECT count(*) AS n FROM customers WHERE active = $1
-- @q c_coalesce
-- @notnull nick
SELECT coalesce(display_name, name) AS nick FROM customers
-- @q c_coalesce_param
-- @nullable coalesce
SELECT coalesce(display_name, $1) FROM customers
-- @q c_concat
SELECT name || ' <' || email || '>' AS label FROM customers
-- @q c_lower
-- @notnull lower
SELECT lower(name), upper(display_name), length(name) FROM customers
-- @q c_score_math
SELECT score * 2 AS doubled, score + $1 AS bumped FROM customers
-- @q c_age
SELECT id, age(birthday) AS age FROM customers WHERE birthday IS NOT NULL
-- @q c_birthday_notnull
-- @notnull birthday
SELECT id, birthday FROM customers WHERE birthday IS NOT NULL
-- @q c_extract
SELECT extract(year FROM created_at) AS y, date_part('month', created_at) AS m FROM customers
-- @q c_date_trunc
SELECT date_trunc('day', created_at) AS day, count(*) FROM customers GROUP BY 1 ORDER BY 1
-- @q c_created_after
SELECT id FROM customers WHERE created_at > $1
-- @q c_created_interval
SELECT id FROM customers WHERE created_at > now() - $1::interval
-- @q c_case
-- @notnull kind
SELECT id, CASE WHEN active THEN 'active' ELSE 'inactive' END AS kind FROM customers
-- @q c_case_noelse
-- @nullable bonus
SELECT id, CASE WHEN score > $1 THEN score * 0.1 END AS bonus FROM customers
-- @q c_jsonb_get
SELECT metadata->'prefs' AS prefs, metadata->>'lang' AS lang FROM customers
-- @q c_jsonb_path
SELECT metadata #> '{a,b}' AS ab, metadata #>> '{a,b}' AS ab_text FROM customers
-- @q c_jsonb_has
SELECT id FROM customers WHERE metadata ? $1
-- @q c_jsonb_contains
SELECT id FROM customers WHERE metadata @> $1
-- @q c_jsonb_param_key
SELECT metadata->>$1 AS value FROM customers WHERE id = $2
-- @q c_array_len
SELECT id, array_length(tags, 1) AS n, cardinality(tags) AS card FROM customers
-- @q c_array_elem
SELECT tags[1] AS first_tag FROM customers
-- @q c_array_agg
-- @nullable names
SELECT array_agg(name) AS names FROM customers
-- @q c_string_agg
SELECT string_agg(name, ', ') AS names FROM customers
-- @q c_group_score
SELECT active, avg(score) AS avg_score, sum(score) AS total, max(score), min(created_at) FROM customers GROUP BY active
-- @q c_having
SELECT active, count(*) FROM customers GROUP BY active HAVING count(*) > $1
-- @q c_distinct
SELECT DISTINCT name FROM customers
-- @q c_distinct_on
SELECT DISTINCT ON (name) name, id FROM customers ORDER BY name, id DESC
-- @q c_exists
-- @notnull taken
SELECT EXISTS (SELECT 1 FROM customers WHERE email = $1) AS taken
-- @q c_scalar_sub
-- @nullable last_order
SELECT c.id, (SELECT max(o.placed_at) FROM orders o WHERE o.customer_id = c.id) AS last_order FROM customers c
-- @q c_scalar_count
-- @notnull n_orders
SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n_orders FROM customers c
-- @q c_self_join
-- @nullable referrer_name
SELECT c.id, r.name AS referrer_name FROM customers c LEFT JOIN customers r ON r.id = c.referrer_id
-- @q c_not_in
SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)
-- @q c_insert
INSERT INTO customers (email, name, tags) VALUES ($1, $2, $3) RETURNING id, created_at
-- @q c_insert_all
INSERT INTO customers (email, name, display_name, metadata, birthday, score) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
-- @q c_insert_default
INSERT INTO customers (email, name, score) VALUES ($1, $2, DEFAULT) RETURNING id
-- @q c_upsert
INSERT INTO customers (email, name, score) VALUES ($1, $2, $3) ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, score = customers.score + EXCLUDED.score RETURNING id, score, (xmax = 0) AS inserted
-- @q c_upsert_nothing
INSERT INTO customers (email, name, score) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING RETURNING id
-- @q c_update
UPDATE customers SET display_name = $1, active = $2 WHERE id = $3 RETURNING id, display_name, active
-- @q c_update_tags
UPDATE customers SET tags = array_append(tags, $1) WHERE id = $2 RETURNING tags
-- @q c_update_json
UPDATE customers SET metadata = coalesce(metadata, '{}'::jsonb) || $1 WHERE id = $2 RETURNING metadata
-- @q c_update_score
UPDATE customers SET score = score + $1 WHERE id = $2 RETURNING score
-- @q c_delete
DELETE FROM customers WHERE id = $1 RETURNING email
-- @q c_delete_inactive
DELETE FROM customers WHERE NOT active AND created_at < $1
-- @q c_cast_param
SELECT $1::int AS n, $2::text AS t, $3::timestamptz AS ts, $4::uuid AS u
-- @q c_cast_col
SELECT id::text, score::float8, created_at::date FROM customers
-- @q c_literals
-- @notnull one x f t
SELECT 1 AS one, 'x' AS x, 1.5 AS f, true AS t, NULL::int AS n, 3000000000 AS big
-- @q c_now
-- @notnull ts d ct
SELECT now() AS ts, current_date AS d, CURRENT_TIMESTAMP AS ct
-- @q c_domain
SELECT email FROM customers WHERE email = $1::email_address
-- @q c_nullif
-- @nullable nullif
SELECT nullif(display_name, '') FROM customers
-- @q c_greatest
SELECT greatest(score, 0) AS s, least(created_at, now()) AS t FROM customers
-- @q c_union
SELECT name FROM customers UNION SELECT title FROM products
-- @q c_union_all
SELECT id::bigint AS id FROM customers UNION ALL SELECT id FROM products
-- @q c_values
SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, label)
-- @q c_gen_series
SELECT g FROM generate_series(1, 10) AS g
-- @q c_unnest
SELECT t FROM customers, unnest(tags) AS t WHERE id = $1
-- @q c_unnest_param
SELECT u.id FROM unnest($1::int[]) AS u(id)
-- @q c_cte
WITH active_customers AS (SELECT id, name FROM customers WHERE active) SELECT name FROM active_customers WHERE id = $1
-- @q c_cte_agg
WITH totals AS (SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id) SELECT c.name, t.spent FROM customers c JOIN totals t ON t.customer_id = c.id ORDER BY t.spent DESC LIMIT 10
-- @q c_window_rank
SELECT id, name, rank() OVER (ORDER BY score DESC) AS r, row_number() OVER (PARTITION BY active ORDER BY id) AS rn FROM customers
-- @q c_window_sum
SELECT id, sum(score) OVER (ORDER BY created_at) AS running FROM customers
-- @q c_window_lag
-- @nullable prev
SELECT id, lag(score) OVER (ORDER BY id) AS prev FROM customers
-- @q c_md5
SELECT md5(email) AS hash, replace(name, $1, $2) AS r FROM customers
-- @q c_substr
SELECT substr(name, 1, 3) AS initials, left(name, $1) AS l FROM customers
-- @q c_random
SELECT id FROM customers ORDER BY random() LIMIT 1
-- @q c_to_char
SELECT to_char(created_at, 'YYYY-MM-DD') AS day FROM customers
-- @q c_is_distinct
SELECT id FROM customers WHERE display_name IS DISTINCT FROM $1
-- @q c_mod
SELECT id % 2 AS parity, id / 2 AS half, -id AS neg FROM customers
-- @q c_bool_ops
SELECT id, active AND score > 0 AS good, NOT active AS inactive FROM customers
-- @q c_search_multi
SELECT id FROM customers WHERE (name ILIKE $1 OR email ILIKE $1) AND active
-- @q p_all
SELECT * FROM products WHERE id = $1
-- @q p_sku
SELECT id, sku, title, price FROM products WHERE sku = $1
-- @q p_price_range
SELECT id, price FROM products WHERE price >= $1 AND price < $2 ORDER BY price
-- @q p_stock
SELECT id, stock, stock * 2 AS double_stock, stock + 1 AS next FROM products
-- @q p_stock_sum
SELECT sum(stock) AS units, avg(stock) AS avg_units, sum(price * stock) AS value FROM products
-- @q p_rating
SELECT id, rating, rating * 2 AS r2, round(price) AS rounded, round(price, 1) AS r1 FROM products
-- @q p_weights
SELECT weights, weights[1] AS w1 FROM products WHERE id = $1
-- @q p_attributes
-- @nullable color size
SELECT attributes->'color' AS color, attributes->>'size' AS size, jsonb_typeof(attributes) AS t FROM products
-- @q p_attr_set
UPDATE products SET attributes = jsonb_set(attributes, $1, $2) WHERE id = $3 RETURNING attributes
-- @q p_attr_keys
SELECT k FROM products, jsonb_object_keys(attributes) AS k WHERE id = $1
-- @q p_attr_each
SELECT e.key, e.value FROM products p, jsonb_each(p.attributes) AS e WHERE p.id = $1
-- @q p_attr_elems
SELECT x FROM jsonb_array_elements_text($1::jsonb) AS x
-- @q p_build_obj
-- @notnull j
SELECT jsonb_build_object('id', id, 'title', title) AS j FROM products
-- @q p_to_jsonb
SELECT to_jsonb(p) AS doc FROM products p WHERE id = $1
-- @q p_jsonb_agg
-- @nullable titles
SELECT jsonb_agg(title) AS titles FROM products
-- @q p_image
SELECT id, image, octet_length(image) AS size FROM products WHERE image IS NOT NULL
-- @q p_image_set
UPDATE products SET image = $1 WHERE id = $2
-- @q p_insert
INSERT INTO products (sku, title, price, stock, attributes) VALUES ($1, $2, $3, $4, $5) RETURNING id
-- @q p_insert_ret_all
INSERT INTO products (sku, title, price) VALUES ($1, $2, $3) RETURNING *
-- @q p_insert_select
INSERT INTO products (sku, title, price) SELECT sku || 'x', title, price FROM products WHERE id = $1 RETURNING id, sku
-- @q p_delete
DELETE FROM products WHERE stock = 0 RETURNING id, sku
-- @q p_category_join
-- @nullable category
SELECT p.id, p.title, c.name AS category FROM products p LEFT JOIN product_categories c ON c.id = p.category_id
-- @q p_category_inner
SELECT p.id, c.name FROM products p JOIN product_categories c ON c.id = p.category_id WHERE c.id = $1
-- @q p_category_right
-- @nullable id title
SELECT p.id, p.title, c.name FROM products p RIGHT JOIN product_categories c ON c.id = p.category_id
-- @q p_full_join
-- @nullable id name
SELECT p.id, c.name FROM products p FULL JOIN product_categories c ON c.id = p.category_id
-- @q p_count_per_cat
-- @notnull n
SELECT c.name, count(p.id) AS n FROM product_categories c LEFT JOIN products p ON p.category_id = c.id GROUP BY c.name
-- @q p_top_rated
SELECT id, title FROM products WHERE rating IS NOT NULL ORDER BY rating DESC NULLS LAST LIMIT $1
-- @q p_lateral
SELECT p.id, l.qty FROM products p CROSS JOIN LATERAL (SELECT sum(qty) AS qty FROM order_items oi WHERE oi.product_id = p.id) l
-- @q p_filter
-- @notnull in_stock total
SELECT count(*) FILTER (WHERE stock > 0) AS in_stock, count(*) AS total FROM products
-- @q p_sku_trim
SELECT trim(sku) AS sku, sku AS raw FROM products
-- @q p_stock_update
UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1 RETURNING stock
-- @q p_bulk_price
UPDATE products SET price = price * $1 WHERE id = ANY($2) RETURNING id, price
-- @q p_exists_orders
SELECT p.id FROM products p WHERE EXISTS (SELECT 1 FROM order_items oi WHERE oi.product_id = p.id AND oi.qty > $1)
-- @q o_all
SELECT * FROM orders WHERE id = $1
-- @q o_status
SELECT id, status FROM orders WHERE status = $1
-- @q o_status_lit
SELECT id FROM orders WHERE status = 'paid'
-- @q o_status_in
SELECT id, status FROM orders WHERE status IN ('paid', 'shipped')
-- @q o_status_any
SELECT id FROM orders WHERE status = ANY($1)
-- @q o_status_cast
SELECT id, status::text AS status_text FROM orders
-- @q o_status_group
-- @notnull n
SELECT status, count(*) AS n, sum(total) AS total FROM orders GROUP BY status
-- @q o_insert
INSERT INTO orders (customer_id, status, total, note) VALUES ($1, $2, $3, $4) RETURNING id, status, placed_at
-- @q o_insert_default
INSERT INTO orders (customer_id) VALUES ($1) RETURNING *
-- @q o_update_status
UPDATE orders SET status = $1 WHERE id = $2 AND status <> 'cancelled' RETURNING id, status
-- @q o_placed_since
SELECT id, placed_at FROM orders WHERE placed_at >= $1 AND placed_at < $2
-- @q o_placed_age
SELECT id, now() - placed_at AS waiting FROM orders
-- @q o_placed_plus
SELECT id, placed_at + interval '7 days' AS due, placed_at + $1::interval AS custom FROM orders
-- @q o_date_math
SELECT id, placed_at::date - $1::date AS days FROM orders
-- @q o_with_customer
SELECT o.id, o.total, c.name, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1
-- @q o_left_customer
-- @nullable total_spent
SELECT c.id, c.name, sum(o.total) AS total_spent FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name
-- @q o_left_notnull
-- @nullable order_id
SELECT c.id AS customer_id, o.id AS order_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
-- @q o_using
SELECT order_id, o.status, oi.qty FROM orders o JOIN order_items oi ON oi.order_id = o.id
-- @q o_items_total
SELECT order_id, sum(qty * unit_price) AS amount, count(*) AS lines FROM order_items GROUP BY order_id
-- @q o_items_insert
INSERT INTO order_items (order_id, product_id, qty, unit_price) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id, product_id) DO UPDATE SET qty = order_items.qty + EXCLUDED.qty RETURNING qty
-- @q o_items_delete
DELETE FROM order_items WHERE order_id = $1 AND product_id = $2
-- @q o_items_join3
SELECT o.id, p.title, oi.qty, oi.unit_price * oi.qty AS line_total FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN products p ON p.id = oi.product_id WHERE o.customer_id = $1
-- @q o_cte_dml
WITH moved AS (UPDATE orders SET status = 'shipped' WHERE status = 'paid' RETURNING id, customer_id) SELECT customer_id, count(*) AS n FROM moved GROUP BY customer_id
-- @q o_cte_delete
WITH gone AS (DELETE FROM orders WHERE placed_at < $1 RETURNING id) SELECT count(*) AS n FROM gone
-- @q o_recent_per_customer
SELECT customer_id, max(placed_at) AS last, min(placed_at) AS first FROM orders GROUP BY customer_id
-- @q o_row_number
SELECT * FROM (SELECT id, customer_id, row_number() OVER (PARTITION BY customer_id ORDER BY placed_at DESC) AS rn FROM orders) t WHERE rn = 1
-- @q o_note_len
SELECT id, length(note) AS n, note FROM orders WHERE note <> ''
-- @q o_total_coalesce
-- @notnull total
SELECT id, coalesce(total, 0) AS total FROM orders
-- @q o_total_round
SELECT id, round(total * 1.2, 2) AS gross FROM orders WHERE total IS NOT NULL
-- @q o_update_from
UPDATE orders SET total = s.amount FROM (SELECT order_id, sum(qty * unit_price) AS amount FROM order_items GROUP BY order_id) s WHERE s.order_id = orders.id RETURNING orders.id, orders.total
-- @q o_delete_using
DELETE FROM order_items oi USING orders o WHERE o.id = oi.order_id AND o.status = $1 RETURNING oi.order_id, oi.product_id
-- @q o_in_subquery
SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE active)
-- @q o_customer_exists
SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
-- @q o_json_build
SELECT jsonb_build_object('id', o.id, 'status', o.status) AS doc FROM orders o
-- @q o_status_order
SELECT id FROM orders ORDER BY status, placed_at DESC
-- @q o_uuid_param
SELECT customer_id FROM orders WHERE id = $1::uuid
-- @q o_gen_uuid
SELECT gen_random_uuid() AS id
-- @q o_count_distinct
SELECT count(DISTINCT customer_id) AS buyers FROM orders
-- @q e_all
SELECT * FROM events ORDER BY id DESC LIMIT $1
-- @q e_kind
SELECT id, kind FROM events WHERE kind = $1
-- @q e_kind_like
SELECT id FROM events WHERE kind LIKE $1 || '%'
-- @q e_payload
SELECT payload->'a' AS a, payload->>'b' AS b FROM events
-- @q e_duration
SELECT id, duration, duration * 2 AS twice, at + duration AS ends FROM events
-- @q e_related
SELECT id, related FROM events WHERE related && $1
-- @q e_related_any
SELECT id FROM events WHERE $1 = ANY(related)
-- @q e_insert
INSERT INTO events (kind, payload, duration, related) VALUES ($1, $2, $3, $4) RETURNING id, at
-- @q e_insert_now
INSERT INTO events (kind, at) VALUES ($1, now()) RETURNING id
-- @q e_window_lead
-- @nullable next_at
SELECT id, at, lead(at) OVER (ORDER BY at) AS next_at FROM events
-- @q e_ntile
SELECT id, ntile(4) OVER (ORDER BY at) AS quartile, percent_rank() OVER (ORDER BY at) AS pr FROM events
-- @q e_hourly
SELECT date_trunc('hour', at) AS hour, count(*) AS n FROM events GROUP BY date_trunc('hour', at) ORDER BY hour
-- @q e_between_ts
SELECT count(*) AS n FROM events WHERE at BETWEEN $1 AND $2
-- @q e_epoch
SELECT id, extract(epoch FROM at) AS epoch FROM events
-- @q e_kind_upper
SELECT upper(kind) AS k, kind::text AS raw FROM events
-- @q e_delete_old
DELETE FROM events WHERE at < now() - interval '30 days'
-- @q e_union_kinds
SELECT kind FROM events WHERE id < $1 UNION SELECT kind FROM events WHERE id > $2
-- @q e_intersect
SELECT id FROM events INTERSECT SELECT id FROM events WHERE kind = $1
-- @q e_except
SELECT kind FROM events EXCEPT SELECT name FROM product_categories
-- @q e_cte_recursive
WITH RECURSIVE nums(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nums WHERE n < $1) SELECT n FROM nums
-- @q e_gen_series_ts
SELECT d FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 day') AS d
-- @q e_values_join
SELECT v.k, e.id FROM (VALUES ('a'), ('b')) AS v(k) JOIN events e ON e.kind = v.k
-- @q e_array_lit
-- @notnull nums strs
SELECT ARRAY[1, 2, 3] AS nums, ARRAY['a', 'b'] AS strs
-- @q e_array_sub
-- @notnull ids
SELECT ARRAY(SELECT id FROM events ORDER BY id) AS ids
-- @q e_cardinality
SELECT id, cardinality(related) AS n FROM events
-- @q e_string_to_array
SELECT string_to_array(kind, '.') AS parts FROM events
-- @q e_split_part
SELECT split_part(kind, '.', 1) AS head FROM events
-- @q e_json_typeof
SELECT json_typeof(payload) AS t FROM events
-- @q e_kind_count_filter
SELECT kind, count(*) FILTER (WHERE duration IS NOT NULL) AS timed FROM events GROUP BY kind
-- @q e_bool_agg
SELECT kind, bool_and(duration IS NULL) AS all_untimed, bool_or(payload IS NOT NULL) AS any_payload FROM events GROUP BY kind
-- @q e_max_id
-- @nullable max
SELECT max(id) FROM events
-- @q e_in_list_params
SELECT id FROM events WHERE kind IN ($1, $2) AND id > $3
-- @q g_cat_tree
-- @nullable parent_name
SELECT c.id, c.name, p.name AS parent_name FROM product_categories c LEFT JOIN product_categories p ON p.id = c.parent_id
-- @q g_cat_insert
INSERT INTO product_categories (parent_id, name, qty) VALUES ($1, $2, coalesce($3, 1)) RETURNING id, qty
-- @q g_cat_all
SELECT * FROM product_categories
-- @q g_cat_recursive
WITH RECURSIVE tree AS (SELECT id, parent_id, name, 1 AS depth FROM product_categories WHERE parent_id IS NULL UNION ALL SELECT c.id, c.parent_id, c.name, t.depth + 1 FROM product_categories c JOIN tree t ON c.parent_id = t.id) SELECT id, name, depth FROM tree
-- @q g_cat_rename
UPDATE product_categories SET name = $1 WHERE id = $2 RETURNING name
-- @q g_cat_delete
DELETE FROM product_categories WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM products WHERE category_id = $1)
-- @q g_cat_qty
SELECT qty, qty + 1 AS more FROM product_categories
-- @q g_cat_count_children
-- @notnull children
SELECT p.id, count(c.id) AS children FROM product_categories p LEFT JOIN product_categories c ON c.parent_id = p.id GROUP BY p.id
-- @q x_multi_join_agg
-- @notnull orders items
SELECT c.name, count(DISTINCT o.id) AS orders, coalesce(sum(oi.qty), 0) AS items FROM customers c LEFT JOIN orders o ON o.customer_id = c.id LEFT JOIN order_items oi ON oi.order_id = o.id GROUP BY c.name
-- @q x_cte_chain
WITH a AS (SELECT id, score FROM customers), b AS (SELECT id, score * 2 AS s2 FROM a) SELECT id, s2 FROM b WHERE s2 > $1
-- @q x_sub_in_from
SELECT t.customer_id, t.n FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) t WHERE t.n > $1
-- @q x_case_types
SELECT CASE WHEN $1 THEN 1 ELSE 2.5 END AS v
-- @q x_coalesce_mixed
SELECT coalesce(stock, 0) AS s, coalesce(rating, 0) AS r FROM products
-- @q x_concat_num
SELECT 'n=' || id AS label FROM products
-- @q x_text_cast_param
SELECT id FROM products WHERE title = $1::text AND price > $2::numeric
-- @q x_limit_all
SELECT id FROM products ORDER BY id LIMIT $1 OFFSET $2
-- @q x_param_arith
SELECT id FROM customers WHERE score * $1 > 100
-- @q x_nested_func
SELECT upper(trim(name)) AS n, lower(coalesce(display_name, '')) AS d FROM customers
-- @q x_sub_exists_param
SELECT EXISTS (SELECT 1 FROM orders WHERE customer_id = $1 AND status = $2) AS has
-- @q x_count_star_cast
SELECT count(*)::int AS n FROM orders
-- @q x_sum_int
SELECT sum(qty) AS q, sum(qty)::int AS qi FROM order_items
-- @q x_avg_numeric
SELECT avg(unit_price) AS a FROM order_items
-- @q x_json_arrow_int
SELECT payload->0 AS first FROM events
-- @q x_order_items_all
SELECT * FROM order_items WHERE order_id = $1
-- @q x_join_using
SELECT order_id, qty FROM order_items JOIN orders ON orders.id = order_items.order_id WHERE orders.customer_id = $1
-- @q x_true_where
SELECT id FROM customers WHERE true
-- @q x_update_many_set
UPDATE customers SET name = $1, display_name = NULL, birthday = $2, score = 0 WHERE id = $3 RETURNING *
-- @q x_insert_multi_values
INSERT INTO events (kind) VALUES ($1), ($2) RETURNING id
-- @q x_returning_expr
INSERT INTO events (kind) VALUES ($1) RETURNING id, upper(kind) AS k, at::date AS day
-- @q x_param_is_null
SELECT id FROM customers WHERE ($1::text IS NULL OR name = $1)
-- @q x_bytea_len
SELECT coalesce(sum(octet_length(image)), 0) AS bytes FROM products
-- @q x_timestamp_cmp
SELECT id FROM orders WHERE placed_at > now()::timestamp - interval '1 day'
-- @q x_select_star_join
SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1
-- @q x_star_left
-- @nullable qty unit_price
SELECT o.*, oi.qty, oi.unit_price FROM orders o LEFT JOIN order_items oi ON oi.order_id = o.id
-- @q x_regex
SELECT id FROM customers WHERE email ~ $1
-- @q x_array_remove
SELECT array_remove(tags, $1) AS t FROM customers WHERE id = $2
-- @q x_sum_filter
-- @nullable paid
SELECT sum(total) FILTER (WHERE status = 'paid') AS paid FROM orders
-- @q x_interval_lit
SELECT interval '1 hour' AS h
-- @q x_pow_div
SELECT price / 3 AS third, stock / 2 AS half FROM products
-- @q t_float4_numeric
SELECT rating::real * 2.5 AS a, rating::real * 2 AS b, rating::real + stock AS c FROM products
-- @q t_int2_ops
SELECT stock + stock AS a, stock * 2 AS b, stock / 2::smallint AS c, stock + 1.5 AS d FROM products
-- @q t_int8_mix
SELECT id + 1 AS a, id * stock AS b, id / 2.0 AS c FROM products
-- @q t_float8_mix
SELECT rating + 1 AS a, rating * price AS b, rating / stock AS c FROM products
-- @q t_date_ops
SELECT birthday + 1 AS a, birthday - 1 AS b, birthday + interval '1 day' AS c, current_date - birthday AS d FROM customers
-- @q t_ts_ops
SELECT placed_at - interval '1 hour' AS a, placed_at - placed_at AS b, now() - interval '1 day' AS c FROM orders
-- @q t_interval_ops
SELECT duration * 2 AS a, duration / 2 AS b, duration + duration AS c, 2 * duration AS d FROM events
-- @q t_text_concat
SELECT title || stock AS a, stock || title AS b, title || NULL AS c FROM products
-- @q t_case_mixed
SELECT CASE WHEN stock > 0 THEN stock ELSE price END AS a, CASE WHEN stock > 0 THEN 'x' ELSE title END AS b FROM products
-- @q t_coalesce_mixed
SELECT coalesce(stock, id) AS a, coalesce(rating, price) AS b, coalesce(sku, title) AS c FROM products
-- @q t_greatest_mixed
SELECT greatest(stock, 1) AS a, greatest(price, rating) AS b, least(id, stock) AS c FROM products
-- @q t_union_numeric
SELECT stock FROM products UNION ALL SELECT id FROM products
-- @q t_union_float
SELECT price FROM products UNION SELECT rating FROM products
-- @q t_union_ts
SELECT placed_at FROM orders UNION SELECT at FROM events
-- @q t_union_bpchar
SELECT sku FROM products UNION SELECT title FROM products
-- @q t_values_mixed
SELECT * FROM (VALUES (1, 2.5), (2, 3)) AS v(a, b)
-- @q t_sum_types
SELECT sum(stock) AS a, sum(products.id) AS b, sum(rating) AS c, sum(duration) AS d, sum(price) AS e FROM products, events
-- @q t_avg_types
SELECT avg(stock) AS a, avg(id) AS b, avg(rating) AS c, avg(price) AS d FROM products
-- @q t_minmax_types
SELECT min(sku) AS a, max(title) AS b, min(weights) AS c, max(placed_at) AS d FROM products, orders
-- @q t_abs_round
SELECT abs(stock) AS a, abs(price) AS b, round(rating) AS c, round(price, 2) AS d, floor(price) AS e, ceil(rating) AS f FROM products
-- @q t_neg
SELECT -stock AS a, -price AS b, -rating AS c, -duration AS d FROM products, events
-- @q t_literal_ops
SELECT 1 + 1 AS a, 1 + 1.5 AS b, 2 * 3000000000 AS c, 10 / 4 AS d, 10 % 3 AS e
-- @q t_string_funcs
SELECT length(sku) AS a, upper(sku) AS b, trim(sku) AS c, sku || 'x' AS d, lower(title) AS e FROM products
-- @q t_array_ops
SELECT tags || 'x'::text AS a, tags || tags AS b, tags[1:2] AS c, array_length(tags, 1) AS d FROM customers
-- @q t_jsonb_ops
-- @nullable c d
SELECT attributes || '{}'::jsonb AS a, attributes - 'k' AS b, attributes->'a'->'b' AS c, attributes->'a'->>'b' AS d FROM products
-- @q t_bool_exprs
SELECT stock > 0 AND rating > 1 AS a, stock IS NULL AS b, title LIKE 'x%' AS c, NOT (stock = 0) AS d FROM products
-- @q t_param_numeric
SELECT id FROM products WHERE price > $1 AND stock < $2 AND rating >= $3 AND id <> $4
-- @q t_param_arith
SELECT price * $1 AS a, stock + $2 AS b, rating - $3 AS c FROM products
-- @q t_param_date
SELECT id FROM customers WHERE birthday > $1 AND created_at < $2
-- @q t_param_ts_minus
SELECT id FROM orders WHERE placed_at > now() - $1::interval AND placed_at < $2
-- @q t_param_bpchar
SELECT id FROM products WHERE sku = $1
-- @q t_param_enum_in
SELECT id FROM orders WHERE status IN ($1, $2)
-- @q t_param_uuid_in
SELECT id FROM orders WHERE id IN ($1, $2) OR customer_id = $3
-- @q t_param_between_num
SELECT id FROM products WHERE price BETWEEN $1 AND $2
-- @q t_param_like_varchar
SELECT id FROM customers WHERE name LIKE $1
-- @q t_param_coalesce
SELECT coalesce($1, title) AS t FROM products
-- @q t_param_limit_expr
SELECT id FROM products LIMIT $1
-- @q t_param_update_enum
UPDATE orders SET status = $1, total = $2 WHERE id = $3
-- @q t_param_insert_domain
INSERT INTO customers (email, name) VALUES ($1, $2) RETURNING email
-- @q t_param_jsonb_contains
SELECT id FROM products WHERE attributes @> $1 AND attributes ? $2
-- @q t_param_array_overlap
SELECT id FROM customers WHERE tags && $1
-- @q t_count_variants
-- @notnull a b c
SELECT count(id) AS a, count(DISTINCT stock) AS b, count(*) FILTER (WHERE stock > 0) AS c FROM products
-- @q t_window_types
SELECT sum(stock) OVER () AS a, avg(price) OVER () AS b, count(*) OVER () AS c, first_value(title) OVER (ORDER BY id) AS d FROM products
-- @q t_exists_not
-- @notnull a
SELECT NOT EXISTS (SELECT 1 FROM products) AS a
-- @q t_subquery_types
-- @nullable a b
SELECT (SELECT max(price) FROM products) AS a, (SELECT title FROM products LIMIT 1) AS b
-- @q t_array_subquery
SELECT ARRAY(SELECT sku FROM products) AS a, ARRAY[stock, 1] AS b FROM products
-- @q t_timestamp_cast
SELECT placed_at::timestamptz AS a, at::timestamp AS b, at::date AS c, '2020-01-01'::date AS d FROM orders, events
-- @q t_text_casts
SELECT stock::text AS a, price::varchar AS b, sku::text AS c, title::char(3) AS d FROM products

-- @q holdout_1
SELECT c.name, o.status, o.total / nullif(sum(o.total) OVER (PARTITION BY c.id), 0) AS share FROM customers c JOIN orders o ON o.customer_id = c.id
-- @q holdout_2
SELECT customer_id, string_agg(status::text, ',' ORDER BY placed_at) AS history FROM orders GROUP BY customer_id
-- @q holdout_3
SELECT p.sku, coalesce(sum(oi.qty), 0)::int AS sold, p.stock - coalesce(sum(oi.qty), 0) AS left_over FROM products p LEFT JOIN order_items oi ON oi.product_id = p.id GROUP BY p.id, p.sku, p.stock
-- @q holdout_4
SELECT to_char(date_trunc('week', placed_at), 'IYYY-IW') AS week, count(*) FROM orders GROUP BY 1
-- @q holdout_5
SELECT id, jsonb_array_length(attributes->'sizes') AS n_sizes FROM products WHERE attributes ? 'sizes'
-- @q holdout_6
SELECT id, (attributes->>'weight')::numeric * 2 AS w2 FROM products
-- @q holdout_7
SELECT e.id, e.kind FROM events e WHERE e.at >= date_trunc('day', now()) AND e.kind = ANY($1::text[])
-- @q holdout_8
UPDATE customers SET tags = array_remove(tags, $1), score = greatest(score - 1, 0) WHERE $1 = ANY(tags) RETURNING id, tags, score
-- @q holdout_9
INSERT INTO events (kind, payload, related) VALUES ('order.created', json_build_object('order', $1::uuid), ARRAY[$2::bigint]) RETURNING id, payload
-- @q holdout_10
SELECT c.id, count(*) FILTER (WHERE o.status = 'paid') AS paid, count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id
-- @q holdout_11
SELECT lower(split_part(email, '@', 2)) AS domain, count(*) AS n FROM customers GROUP BY 1 HAVING count(*) >= $1
-- @q holdout_12
SELECT id, birthday, extract(year FROM age(birthday))::int AS years FROM customers WHERE birthday IS NOT NULL
-- @q holdout_13
WITH latest AS (SELECT DISTINCT ON (customer_id) customer_id, id, placed_at FROM orders ORDER BY customer_id, placed_at DESC) SELECT c.email, l.id AS order_id, l.placed_at FROM customers c LEFT JOIN latest l ON l.customer_id = c.id
-- @q holdout_14
SELECT p.id, p.title, pc.name AS category, parent.name AS parent_category FROM products p LEFT JOIN product_categories pc ON pc.id = p.category_id LEFT JOIN product_categories parent ON parent.id = pc.parent_id
-- @q holdout_15
SELECT count(*) AS n, sum(CASE WHEN active THEN 1 ELSE 0 END) AS active_n FROM customers
-- @q holdout_16
SELECT id FROM orders WHERE (customer_id, placed_at) > ($1, $2) ORDER BY customer_id, placed_at LIMIT 50
-- @q holdout_17
DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE status = 'cancelled') RETURNING product_id, qty
-- @q holdout_18
SELECT substring(title from 1 for 20) AS short, char_length(title) AS len, position('x' in title) AS pos FROM products
-- @q holdout_19
SELECT id, round(avg(unit_price) OVER (PARTITION BY product_id), 2) AS avg_price FROM order_items JOIN orders ON orders.id = order_items.order_id
-- @q holdout_20
SELECT generate_series(1, 3) AS n, now()::date AS today
-- @q holdout_21
SELECT $1::jsonb -> 'a' AS a, $2::int + 1 AS b, $3::text || 'x' AS c
-- @q holdout_22
SELECT id, duration > interval '1 hour' AS long_running, justify_interval(duration) AS d FROM events
-- @q holdout_23
SELECT md5(random()::text) AS token, gen_random_uuid() AS id
-- @q holdout_24
SELECT id, coalesce(display_name, split_part(email::text, '@', 1)) AS shown FROM customers
-- @q holdout_25
SELECT c.id FROM customers c WHERE c.score > (SELECT avg(score) FROM customers)
-- Typer false alarms seen on real SQLx projects (issue 12): each checked against PostgreSQL.
-- @exact marks a query whose every column name/type and parameter type must be verified.
-- @q fa_cte_in_derived_table
-- @exact
WITH big AS (SELECT id, title FROM products WHERE price > $1) SELECT b.id, b.title FROM (SELECT id, title FROM big) b
-- @q fa_correlated_lateral
-- @exact
SELECT c.id, x.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders o WHERE o.customer_id = c.id) x ON true
-- @q fa_correlated_in_derived_table
SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM (SELECT o.id FROM orders o WHERE o.customer_id = c.id) r)
-- @q fa_delete_using_join
DELETE FROM order_items AS oi USING orders AS o JOIN customers AS r ON o.customer_id = r.id WHERE oi.order_id = o.id AND r.email = $1
-- @q fa_update_from_join
UPDATE orders SET note = $1 FROM customers INNER JOIN product_categories ON product_categories.id = customers.id WHERE orders.customer_id = customers.id AND customers.name = $2
-- @q fa_unnest_ordinality_alias
-- @exact
WITH incoming AS (SELECT * FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS u(k, v, ord)) SELECT k, v, ord FROM incoming ORDER BY ord
-- @q fa_star_over_opaque_in_cte
WITH j AS (SELECT * FROM jsonb_to_record($1::jsonb) AS x(a int)) SELECT a FROM j
-- @q fa_name_true
SELECT true, false AS f
-- @q fa_name_is_not_null
-- @exact
SELECT display_name IS NOT NULL, (birthday IS NULL) AS no_birthday, NOT active FROM customers
-- @q fa_name_case_else_column
-- @exact
SELECT CASE WHEN active THEN 'x' ELSE name END, CASE WHEN active THEN name END, (CASE WHEN active THEN name END)::text FROM customers
-- @q fa_name_cast_and_sublink
-- @exact
SELECT (SELECT 1)::int, (SELECT max(id) FROM customers)::int8, trim(name), (active IS TRUE)::int FROM customers
-- @q fa_param_times_interval
-- @exact
SELECT id FROM events WHERE at > now() - $1 * interval '1 second' AND duration < interval '1 minute' * $2
-- @q fa_param_interval_arith
-- @exact
SELECT id FROM events WHERE at + $1 > now() AND at - $2 > interval '1 hour' AND now() - at > $3
-- @q fa_param_timestamp_vs_now
-- @exact
SELECT id FROM orders WHERE placed_at > $1 AND placed_at < now() - $2::interval
-- @q fa_param_timestamptz_column
-- @exact
SELECT id FROM events WHERE at BETWEEN $1 AND now() AND $2 < at
-- @q fa_param_timestamp_first_use
SELECT id FROM orders WHERE placed_at > $1 AND $1 < now()
-- @q fa_param_coalesce_now
-- @exact
SELECT id FROM orders WHERE placed_at > COALESCE($1, now()) AND placed_at < GREATEST($2, placed_at)
-- @q fa_param_first_context_unmodelled
INSERT INTO events (kind, at) VALUES ($1, COALESCE($2, timezone('utc', now()))) ON CONFLICT (id) DO UPDATE SET at = COALESCE($2, events.at) RETURNING id
-- @q fa_param_insert_select_item
-- @exact
INSERT INTO events (kind, at) SELECT $1, $2 WHERE $2 > now() - interval '1 day' RETURNING id
-- @q fa_row_constructors
-- @exact
SELECT id, (name, active) AS pair, ROW(id, score) AS r, (id, name) FROM customers
-- @q fa_whole_row_composite
-- @exact
-- @nullable i
SELECT o AS ord, i FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
-- @q fa_srf_named_out_parameter
-- @exact
SELECT c.id, x.value, x FROM customers c, jsonb_array_elements(c.metadata) x
-- @q fa_srf_column_definition_list
-- @exact
SELECT r.a, r.b FROM customers c CROSS JOIN LATERAL jsonb_to_recordset(c.metadata) AS r(a int, b text)
-- @q fa_at_time_zone
-- @exact
SELECT at AT TIME ZONE 'UTC', timezone('UTC', placed_at) AS local_placed FROM events, orders
-- @q fa_advisory_locks
-- @exact
SELECT pg_try_advisory_xact_lock($1, $2) AS got, pg_advisory_xact_lock($3)
-- @q fa_greatest_param_and_ordered_aggregate
-- @exact
SELECT greatest(score, $1) AS g, array_agg(id ORDER BY id) AS ids FROM customers GROUP BY score
-- @q fa_param_boolean_test
-- @exact
SELECT id FROM customers WHERE (active OR $1 IS FALSE) AND $2 IS NOT TRUE
-- @q fa_param_compared_with_string_literal
-- @exact
SELECT id FROM customers ORDER BY CASE WHEN $1 = 'newest' THEN created_at END DESC, id
-- @q fa_param_generate_series
-- @exact
SELECT n FROM generate_series(1, $1) AS n
-- @q fa_param_select_list_is_text
-- @exact
SELECT c.id, $1 AS label FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.note = $1
-- @q fa_param_insert_select_alias
-- @exact
INSERT INTO product_categories (name, parent_id) SELECT $1 AS n, $2 AS p WHERE $2 > 0 RETURNING id
-- @q fa_union_null_branch
-- @exact
SELECT name, active FROM customers UNION ALL SELECT title, NULL AS active FROM products
-- @q fa_functions_by_name
-- @exact
SELECT width_bucket(score, 0, 100, 10) AS bucket, date_bin('15 minutes', created_at, '2020-01-01'::timestamptz) AS slot, convert_from(image, 'UTF8') AS img, pg_relation_size('customers') AS size FROM customers, products
-- @q fa_update_row_assignment_and_default
-- @exact
UPDATE customers SET (name, score) = ($1, $2), display_name = DEFAULT WHERE id = $3 RETURNING id
-- @q fa_mode_keeps_varchar
-- @exact
SELECT mode() WITHIN GROUP (ORDER BY name) AS m, array_agg(DISTINCT tags) AS t FROM customers
-- @q fa_like_any_fetch_first
-- @exact
SELECT id, metadata #- '{a}' AS rm FROM customers WHERE name LIKE ANY($1) ORDER BY id FETCH FIRST $2 ROWS ONLY
-- @q fa_operator_function_has_no_name
SELECT count(*) AS c, score ^ 2, sqrt(score) AS r, 2 ^ 3 AS p FROM customers GROUP BY score
-- @q fa_sql_value_function_names
-- @exact
SELECT current_user, current_schema, localtimestamp, current_date, current_time
-- @q fa_case_else_type_first
-- @exact
SELECT CASE WHEN active THEN name ELSE display_name END AS n, nullif(name, '') AS m FROM customers
-- @q fa_json_agg_is_a_function
-- @exact
SELECT json_agg(name), jsonb_agg(id), metadata -> 'a', active AND true FROM customers GROUP BY metadata, active
-- @q fa_current_timestamp_keyword
-- @exact
SELECT current_timestamp, CURRENT_TIMESTAMP(3)
-- @q fa_unary_plus_has_no_name
SELECT -score, +score, +c.score AS s, score FROM customers c
