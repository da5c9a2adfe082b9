-- Publish a draft now; returns 1, or 0 when there is no such draft.
-- :execrows
UPDATE posts SET published_at = now() WHERE id = :id AND published_at IS NULL
