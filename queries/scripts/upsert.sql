-- Create a script, or replace the code of the script with this URI.
-- A replaced script must be initialised again, so its init state is reset.
-- :one
INSERT INTO scripts (uri, code)
VALUES (:uri, :code)
ON CONFLICT (uri) DO UPDATE
SET code = EXCLUDED.code,
    initialized = false,
    init_error = NULL,
    updated_at = now()
RETURNING *
