-- AIWebEngine corpus: further queries over the project's own migrations (../../../migrations).

-- @q a_scripts_with_log_count
-- @notnull lines
SELECT s.uri, count(l.id) AS lines FROM scripts s LEFT JOIN logs l ON l.script_uri = s.uri GROUP BY s.uri
-- @q a_last_log
-- @nullable last_message
SELECT s.uri, (SELECT l.message FROM logs l WHERE l.script_uri = s.uri ORDER BY l.created_at DESC LIMIT 1) AS last_message FROM scripts s
-- @q a_failed_inits
SELECT uri, init_error, last_init_time FROM scripts WHERE init_error IS NOT NULL ORDER BY last_init_time DESC
-- @q a_code_size
SELECT uri, length(code) AS chars, octet_length(code) AS bytes FROM scripts ORDER BY bytes DESC LIMIT $1
-- @q a_asset_types
SELECT mimetype, count(*) AS n, sum(octet_length(content)) AS bytes FROM assets GROUP BY mimetype
-- @q a_asset_prefix
SELECT public_path FROM assets WHERE public_path LIKE $1 || '%' ORDER BY public_path
-- @q a_asset_touch
UPDATE assets SET updated_at = now() WHERE public_path = ANY($1) RETURNING public_path, updated_at
-- @q a_session_user
-- @nullable email
SELECT s.session_id, u.email FROM sessions s LEFT JOIN users u ON u.user_id = s.user_id WHERE s.expires_at > $1
-- @q a_session_data_key
SELECT session_id, data->>$1 AS value FROM sessions WHERE session_id = $2
-- @q a_session_data_merge
UPDATE sessions SET data = data || $1, last_accessed_at = now() WHERE session_id = $2 RETURNING data
-- @q a_session_data_keys
SELECT DISTINCT k FROM sessions, jsonb_object_keys(data) AS k
-- @q a_session_ttl
SELECT session_id, expires_at - now() AS remaining FROM sessions WHERE expires_at > now()
-- @q a_session_extend
UPDATE sessions SET expires_at = expires_at + $1::interval WHERE user_id = $2 RETURNING session_id, expires_at
-- @q a_users_roles
SELECT user_id, CASE WHEN is_admin THEN 'admin' WHEN is_editor THEN 'editor' ELSE 'user' END AS role FROM users
-- @q a_users_by_provider
SELECT provider, count(*) AS n, min(created_at) AS first, bool_or(is_admin) AS has_admin FROM users GROUP BY provider
-- @q a_users_active_since
SELECT user_id, email FROM users WHERE last_login_at >= now() - make_interval(days => $1)
-- @q a_user_sessions
SELECT u.user_id, count(s.id) AS sessions, max(s.last_accessed_at) AS last_seen FROM users u LEFT JOIN sessions s ON s.user_id = u.user_id GROUP BY u.user_id
-- @q a_user_upsert_email
INSERT INTO users (user_id, email, provider) VALUES ($1, $2, $3) ON CONFLICT (email) DO UPDATE SET last_login_at = excluded.last_login_at RETURNING id, (xmax = 0) AS created
-- @q a_log_insert_many
INSERT INTO logs (script_uri, message) SELECT $1, unnest($2::text[]) RETURNING id
-- @q a_log_window
SELECT id, script_uri, row_number() OVER (PARTITION BY script_uri ORDER BY created_at DESC) AS n FROM logs
-- @q a_log_search
SELECT id, message FROM logs WHERE script_uri = $1 AND message ~* $2 ORDER BY created_at DESC LIMIT 100
-- @q a_log_daily
SELECT created_at::date AS day, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1 DESC
-- @q a_orphan_logs
SELECT l.id FROM logs l WHERE NOT EXISTS (SELECT 1 FROM scripts s WHERE s.uri = l.script_uri)
-- @q a_orphan_logs_join
SELECT l.id, l.script_uri FROM logs l LEFT JOIN scripts s ON s.uri = l.script_uri WHERE s.id IS NULL
-- @q a_reset_inits
UPDATE scripts SET initialized = false, init_error = NULL WHERE uri = ANY($1) RETURNING uri
-- @q a_rename_script
UPDATE scripts SET uri = $2 WHERE uri = $1 RETURNING id, uri, updated_at
-- @q a_copy_script
INSERT INTO scripts (uri, code) SELECT $2, code FROM scripts WHERE uri = $1 RETURNING id
-- @q a_stats
SELECT (SELECT count(*) FROM scripts) AS scripts, (SELECT count(*) FROM assets) AS assets, (SELECT count(*) FROM users) AS users
-- @q a_editor_or_admin
SELECT user_id FROM users WHERE is_admin OR is_editor ORDER BY user_id
-- @q a_session_cleanup
WITH expired AS (DELETE FROM sessions WHERE expires_at < now() RETURNING user_id) SELECT user_id, count(*) AS n FROM expired GROUP BY user_id

-- @q holdout_k15
SELECT s.session_id, s.data #>> '{prefs,theme}' AS theme FROM sessions s WHERE s.user_id = $1
-- @q holdout_k16
SELECT user_id, greatest(last_login_at, updated_at) AS last_activity FROM users
-- @q holdout_k17
SELECT uri, initialized, CASE WHEN init_error IS NULL THEN 'ok' ELSE left(init_error, 80) END AS status FROM scripts
-- @q holdout_k18
SELECT script_uri, count(*) AS n, max(created_at) AS last, now() - max(created_at) AS since FROM logs GROUP BY script_uri
-- @q holdout_k19
INSERT INTO assets (public_path, mimetype, content) VALUES ($1, coalesce($2, 'application/octet-stream'), $3) RETURNING id, octet_length(content) AS size
-- @q holdout_k20
SELECT u.user_id, EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.user_id AND s.expires_at > now()) AS online FROM users u
