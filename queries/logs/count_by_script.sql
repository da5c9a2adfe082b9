-- Number of log lines per script, ordered by script URI.
-- :many
SELECT script_uri, count(*) AS count
FROM logs
GROUP BY script_uri
ORDER BY script_uri
