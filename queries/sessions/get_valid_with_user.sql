-- Find a session that has not expired, together with its user.
-- :optional
SELECT s.id AS session_pk,
       s.session_id,
       s.data,
       s.created_at AS session_created_at,
       s.expires_at,
       s.last_accessed_at,
       u.id AS user_pk,
       u.user_id,
       u.email,
       u.name,
       u.provider,
       u.is_admin,
       u.is_editor,
       u.created_at AS user_created_at,
       u.updated_at AS user_updated_at,
       u.last_login_at
FROM sessions AS s
JOIN users AS u ON u.user_id = s.user_id
WHERE s.session_id = :session_id
  AND s.expires_at > statement_timestamp()
