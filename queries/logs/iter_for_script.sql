-- Every log line of a script, oldest first, streamed from a server-side cursor
-- (for results too large to hold in memory).
-- :iter
SELECT *
FROM logs
WHERE script_uri = :script_uri
ORDER BY created_at, id
