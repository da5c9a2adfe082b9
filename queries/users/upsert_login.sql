-- Record a sign-in: create the user on first login, otherwise refresh its email, name
-- and provider. Sets last_login_at either way; roles are never changed here.
-- :one
-- @nullable name
INSERT INTO users (user_id, email, name, provider)
VALUES (:user_id, :email, :name, :provider)
ON CONFLICT (user_id) DO UPDATE
SET email = EXCLUDED.email,
    name = EXCLUDED.name,
    provider = EXCLUDED.provider,
    last_login_at = now(),
    updated_at = now()
RETURNING *
