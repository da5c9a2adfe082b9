-- Create an asset, or replace the type and content of the asset at this path.
-- :one
INSERT INTO assets (public_path, mimetype, content)
VALUES (:public_path, :mimetype, :content)
ON CONFLICT (public_path) DO UPDATE
SET mimetype = EXCLUDED.mimetype,
    content = EXCLUDED.content,
    updated_at = now()
RETURNING *
