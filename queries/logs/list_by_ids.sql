-- The log lines with these ids (an IN list: `= ANY` of one array parameter), oldest first.
-- :many
SELECT *
FROM logs
WHERE id = ANY(:ids)
ORDER BY created_at, id
