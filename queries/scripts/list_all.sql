-- List every script without its code (for overviews), ordered by URI.
-- :many
SELECT id, uri, created_at, updated_at, initialized, init_error, last_init_time
FROM scripts
ORDER BY uri
