-- Find a session that has not expired.
-- :optional
SELECT * FROM sessions WHERE session_id = :session_id AND expires_at > statement_timestamp()
