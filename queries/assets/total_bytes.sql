-- Total size in bytes of all asset contents (0 when there are none).
-- :one
SELECT coalesce(sum(octet_length(content)), 0) AS total_bytes FROM assets
