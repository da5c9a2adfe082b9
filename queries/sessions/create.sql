-- Start a session for a user.
-- :one
INSERT INTO sessions (session_id, user_id, data, expires_at)
VALUES (:session_id, :user_id, :data, :expires_at)
RETURNING *
