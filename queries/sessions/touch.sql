-- Extend an unexpired session to a new expiry time and record the access.
-- Expired sessions are left alone (returns None).
-- :optional
UPDATE sessions
SET expires_at = :expires_at,
    last_accessed_at = now()
WHERE session_id = :session_id
  AND expires_at > statement_timestamp()
RETURNING *
