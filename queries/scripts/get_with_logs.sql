-- A script with its newest `log_limit` log lines, newest first, fetched in one round
-- trip; `logs` is an empty list when the script has none.
-- :optional
-- @model ScriptWithLogs
SELECT s.*,
       ARRAY(SELECT l
             FROM logs AS l
             WHERE l.script_uri = s.uri
             ORDER BY l.created_at DESC, l.id DESC
             LIMIT :log_limit) AS logs
FROM scripts AS s
WHERE s.uri = :uri
