-- Scripts whose init function has not run successfully yet, ordered by URI.
-- :many
SELECT * FROM scripts WHERE NOT initialized ORDER BY uri
