-- Replace the data of an unexpired session with a SessionData model
-- (typed JSON: config.toml [json]); returns 1, or 0 when there is no such session.
-- :execrows
UPDATE sessions
SET data = :data
WHERE session_id = :session_id
  AND expires_at > statement_timestamp()
