-- The newest published posts with their author's name.
-- :many
SELECT p.id, p.title, p.published_at, a.name AS author_name
FROM posts p
JOIN authors a ON a.id = p.author_id
WHERE p.published_at IS NOT NULL
ORDER BY p.published_at DESC, p.id DESC
LIMIT :limit
