-- Delete every expired session; returns how many were deleted.
-- :execrows
DELETE FROM sessions WHERE expires_at <= statement_timestamp()
