-- Create users table: accounts signed in through an OAuth provider
-- (google, microsoft, apple).
CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    provider TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT false,
    is_editor BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Admin listing without scanning every account.
CREATE INDEX IF NOT EXISTS idx_users_admins ON users (user_id) WHERE is_admin;
