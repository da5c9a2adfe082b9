-- Log lines matching every filter given, newest first, at most `limit` of them. A filter
-- left as None is dropped from the query text (not `IS NULL OR`), so each combination
-- gets a plan of its own: `script_uri` alone uses the (script_uri, created_at) index.
-- `contains` matches literally (`%` and `_` are not wildcards).
-- :many
-- @optional script_uri, since, until, contains
-- @default limit 100
SELECT *
FROM logs
WHERE script_uri = :script_uri
  AND created_at >= :since
  AND created_at < :until
  AND strpos(message, :contains) > 0
ORDER BY created_at DESC, id DESC
LIMIT :limit
