-- Append a log line for a script.
-- :one
INSERT INTO logs (script_uri, message)
VALUES (:script_uri, :message)
RETURNING *
