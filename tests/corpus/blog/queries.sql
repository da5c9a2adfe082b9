-- Blog corpus (see shop/queries.sql for the format).

-- @q b_post_by_slug
SELECT * FROM posts WHERE slug = $1
-- @q b_post_cols
SELECT id, title, state, tags, word_count, published_at FROM posts WHERE id = $1
-- @q b_posts_by_state
SELECT id, slug FROM posts WHERE state = $1 ORDER BY published_at DESC NULLS LAST LIMIT $2
-- @q b_post_with_author
SELECT p.title, a.handle, a.display_name FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.slug = $1
-- @q b_comment_counts
-- @notnull n
SELECT p.id, count(c.id) AS n FROM posts p LEFT JOIN comments c ON c.post_id = p.id GROUP BY p.id
-- @q b_comment_tree
-- @nullable parent_body
SELECT c.id, c.body, parent.body AS parent_body FROM comments c LEFT JOIN comments parent ON parent.id = c.parent_id WHERE c.post_id = $1
-- @q b_comment_author
-- @nullable handle
SELECT c.id, a.handle FROM comments c LEFT JOIN authors a ON a.id = c.author_id
-- @q b_recursive_thread
WITH RECURSIVE thread AS (SELECT id, parent_id, body, 0 AS depth FROM comments WHERE id = $1 UNION ALL SELECT c.id, c.parent_id, c.body, t.depth + 1 FROM comments c JOIN thread t ON c.parent_id = t.id) SELECT id, body, depth FROM thread ORDER BY depth
-- @q b_tagged
SELECT id, title FROM posts WHERE $1 = ANY(tags)
-- @q b_tags_overlap
SELECT id FROM posts WHERE tags && $1::text[]
-- @q b_tag_cloud
SELECT tag, count(*) AS n FROM posts, unnest(tags) AS tag GROUP BY tag ORDER BY n DESC
-- @q b_extra
SELECT extra->>'cover' AS cover, extra->'seo' AS seo FROM posts WHERE id = $1
-- @q b_extra_update
UPDATE posts SET extra = coalesce(extra, '{}'::jsonb) || jsonb_build_object('cover', $1::text) WHERE id = $2 RETURNING extra
-- @q b_publish
UPDATE posts SET state = 'published', published_at = now() WHERE id = $1 AND state = 'draft' RETURNING id, published_at
-- @q b_new_post
INSERT INTO posts (author_id, slug, title, body, tags) VALUES ($1, $2, $3, $4, $5) RETURNING id, word_count, state
-- @q b_new_comment
INSERT INTO comments (post_id, parent_id, author_id, body) VALUES ($1, $2, $3, $4) RETURNING id, created
-- @q b_like
INSERT INTO likes (post_id, author_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING at
-- @q b_unlike
DELETE FROM likes WHERE post_id = $1 AND author_id = $2
-- @q b_like_counts
SELECT post_id, count(*) AS likes, max(at) AS last_like FROM likes GROUP BY post_id
-- @q b_top_posts
SELECT p.id, p.title, count(l.author_id) AS likes, p.views FROM posts p LEFT JOIN likes l ON l.post_id = p.id WHERE p.state = 'published' GROUP BY p.id ORDER BY likes DESC, p.views DESC LIMIT 10
-- @q b_view_increment
UPDATE posts SET views = views + 1 WHERE slug = $1 RETURNING views
-- @q b_author_stats
SELECT a.handle, count(DISTINCT p.id) AS posts, coalesce(sum(p.views), 0) AS views FROM authors a LEFT JOIN posts p ON p.author_id = a.id GROUP BY a.handle
-- @q b_karma
UPDATE authors SET karma = karma + $1 WHERE id = $2 RETURNING karma
-- @q b_new_author
INSERT INTO authors (handle, bio) VALUES ($1, $2) RETURNING id, joined_on, karma
-- @q b_author_since
SELECT handle, current_date - joined_on AS days FROM authors WHERE joined_on < $1
-- @q b_published_view
SELECT id, slug, title FROM published_posts WHERE author_id = $1
-- @q b_published_view_star
SELECT * FROM published_posts ORDER BY published_at DESC
-- @q b_search
SELECT id, title FROM posts WHERE title ILIKE '%' || $1 || '%' OR body ILIKE '%' || $1 || '%'
-- @q b_fts
SELECT id, ts_rank(to_tsvector('english', body), plainto_tsquery('english', $1)) AS rank FROM posts WHERE to_tsvector('english', body) @@ plainto_tsquery('english', $1)
-- @q b_word_stats
SELECT avg(word_count) AS avg_words, max(word_count) AS longest, percentile_cont(0.5) WITHIN GROUP (ORDER BY word_count) AS median FROM posts
-- @q b_monthly
SELECT date_trunc('month', published_at) AS month, count(*) AS n FROM posts WHERE published_at IS NOT NULL GROUP BY 1 ORDER BY 1
-- @q b_score_window
SELECT id, score, sum(score) OVER (PARTITION BY post_id ORDER BY created) AS running, dense_rank() OVER (PARTITION BY post_id ORDER BY score DESC) AS place FROM comments
-- @q b_score_math
SELECT id, score * 2 AS doubled, score + 1 AS next, abs(score) AS magnitude FROM comments
-- @q b_comment_age
SELECT id, now() - created AS age, extract(epoch FROM now() - created) AS seconds FROM comments
-- @q b_delete_old_comments
DELETE FROM comments WHERE created < now() - $1::interval RETURNING id
-- @q b_state_counts
SELECT state, count(*) FILTER (WHERE published_at IS NOT NULL) AS with_date, count(*) AS total FROM posts GROUP BY state
-- @q b_state_text
SELECT id, state::text AS state_name, upper(state::text) AS shout FROM posts
-- @q b_archive
UPDATE posts SET state = $1 WHERE published_at < $2 RETURNING id, state
-- @q b_slug_exists
SELECT EXISTS (SELECT 1 FROM posts WHERE slug = $1) AS taken
-- @q b_authors_without_posts
SELECT a.id, a.handle FROM authors a WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.author_id = a.id)
-- @q b_latest_comment
-- @nullable latest
SELECT p.id, (SELECT max(created) FROM comments c WHERE c.post_id = p.id) AS latest FROM posts p
-- @q b_cte_top_authors
WITH ranked AS (SELECT author_id, sum(views) AS total FROM posts GROUP BY author_id) SELECT a.handle, r.total FROM ranked r JOIN authors a ON a.id = r.author_id ORDER BY r.total DESC LIMIT $1
-- @q b_union_names
SELECT handle AS name FROM authors UNION SELECT slug FROM posts
-- @q b_like_delete_all
WITH gone AS (DELETE FROM likes WHERE author_id = $1 RETURNING post_id) SELECT count(*) AS removed FROM gone
-- @q b_display
-- @notnull shown
SELECT coalesce(display_name, handle) AS shown FROM authors
-- @q b_json_agg
SELECT author_id, jsonb_agg(jsonb_build_object('id', id, 'title', title)) AS posts FROM posts GROUP BY author_id
-- @q b_array_agg_tags
SELECT author_id, array_agg(DISTINCT slug) AS slugs FROM posts GROUP BY author_id
-- @q b_post_tags_append
UPDATE posts SET tags = array_append(tags, $1) WHERE id = $2 AND NOT ($1 = ANY(tags)) RETURNING tags
-- @q b_views_bucket
SELECT id, CASE WHEN views > 1000 THEN 'hot' WHEN views > 100 THEN 'warm' ELSE 'cold' END AS bucket FROM posts
-- @q b_pagination
SELECT id, title FROM posts WHERE id < $1 ORDER BY id DESC LIMIT $2
-- @q b_sum_score
SELECT post_id, sum(score) AS total_score FROM comments GROUP BY post_id HAVING sum(score) > $1

-- @q holdout_k1
SELECT a.handle, p.title, row_number() OVER (PARTITION BY a.id ORDER BY p.views DESC) AS rank_in_author FROM authors a JOIN posts p ON p.author_id = a.id
-- @q holdout_k2
SELECT p.id, array_to_string(p.tags, ', ') AS tag_list, cardinality(p.tags) > 0 AS tagged FROM posts p
-- @q holdout_k3
SELECT c.post_id, avg(c.score)::numeric(10, 2) AS avg_score, stddev(c.score) AS sd FROM comments c GROUP BY c.post_id
-- @q holdout_k4
SELECT p.slug, l.cnt FROM posts p, LATERAL (SELECT count(*) AS cnt FROM likes WHERE likes.post_id = p.id) l WHERE l.cnt > $1
-- @q holdout_k5
INSERT INTO comments (post_id, body) SELECT id, 'auto: ' || title FROM posts WHERE id = $1 RETURNING id, body
-- @q holdout_k6
UPDATE posts SET tags = ARRAY(SELECT DISTINCT unnest(tags || $1::text[]) ORDER BY 1) WHERE id = $2 RETURNING tags
-- @q holdout_k7
SELECT id, coalesce(extra->>'lang', 'en') AS lang, (extra->'meta'->>'rank')::int AS rank FROM posts
-- @q holdout_k8
SELECT date_part('dow', created) AS dow, count(*) AS n FROM comments GROUP BY 1 ORDER BY 1
-- @q holdout_k9
SELECT a.id, a.karma, a.karma::float8 / nullif(max(a.karma) OVER (), 0) AS relative FROM authors a
-- @q holdout_k10
SELECT p.id FROM posts p WHERE p.published_at BETWEEN $1 AND $1 + interval '1 month'
-- @q holdout_k11
DELETE FROM posts WHERE state = 'archived' AND published_at < now() - make_interval(years => $1) RETURNING slug
-- @q holdout_k12
SELECT handle, length(bio) AS bio_len, bio IS NULL AS no_bio FROM authors ORDER BY handle LIMIT $1 OFFSET $2
-- @q holdout_k13
SELECT post_id, count(*) AS n, min(at) AS first_like, max(at) - min(at) AS spread FROM likes GROUP BY post_id
-- @q holdout_k14
WITH c AS (SELECT post_id, count(*) AS n FROM comments GROUP BY post_id), l AS (SELECT post_id, count(*) AS n FROM likes GROUP BY post_id) SELECT p.id, coalesce(c.n, 0) + coalesce(l.n, 0) AS engagement FROM posts p LEFT JOIN c ON c.post_id = p.id LEFT JOIN l ON l.post_id = p.id
-- @q fa_count_qualified_star
-- @exact
SELECT p.id, count(l.*) AS likes FROM posts p LEFT JOIN likes l ON l.post_id = p.id GROUP BY p.id
