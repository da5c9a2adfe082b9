-- List every asset's path, type, size and modification time, without the content.
-- :many
SELECT public_path,
       mimetype,
       octet_length(content) AS size,
       updated_at
FROM assets
ORDER BY public_path
