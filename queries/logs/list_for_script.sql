-- The latest log lines of one script, newest first, at most `limit` of them.
-- :many
SELECT *
FROM logs
WHERE script_uri = :script_uri
ORDER BY created_at DESC, id DESC
LIMIT :limit
