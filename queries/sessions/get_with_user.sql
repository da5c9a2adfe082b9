-- Find a session that has not expired, with its user nested as `user`.
-- :optional
-- @model SessionWithUser
SELECT s.*, u AS "user"
FROM sessions AS s
JOIN users AS u ON u.user_id = s.user_id
WHERE s.session_id = :session_id
  AND s.expires_at > statement_timestamp()
