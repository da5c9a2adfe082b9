-- The data of an unexpired session as the application's SessionData model
-- (typed JSON: config.toml [json]); None when there is no such session.
-- :optional
SELECT data
FROM sessions
WHERE session_id = :session_id
  AND expires_at > statement_timestamp()
