-- Retention: keep only the newest `keep` log lines of each script, delete the rest;
-- returns how many were deleted.
-- :execrows
DELETE FROM logs
WHERE id IN (
    SELECT id
    FROM (
        SELECT id,
               row_number() OVER (PARTITION BY script_uri
                                  ORDER BY created_at DESC, id DESC) AS position
        FROM logs
    ) AS ranked
    WHERE position > :keep
)
