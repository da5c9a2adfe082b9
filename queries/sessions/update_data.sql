-- Replace the data of a session.
-- :optional
UPDATE sessions
SET data = :data
WHERE session_id = :session_id
RETURNING *
