-- Number of scripts.
-- :one
SELECT count(*) AS count FROM scripts
