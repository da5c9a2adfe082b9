-- End a session; returns the number of rows deleted (0 or 1).
-- :execrows
DELETE FROM sessions WHERE session_id = :session_id
