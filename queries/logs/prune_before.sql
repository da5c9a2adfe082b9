-- Delete log lines written before the given time; returns how many were deleted.
-- :execrows
DELETE FROM logs WHERE created_at < :before
