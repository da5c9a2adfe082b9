-- Replace the data of an unexpired session (returns None for an expired one).
-- :optional
UPDATE sessions
SET data = :data
WHERE session_id = :session_id
  AND expires_at > statement_timestamp()
RETURNING *
