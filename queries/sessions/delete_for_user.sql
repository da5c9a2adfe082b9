-- End every session of a user (sign out everywhere); returns how many were deleted.
-- :execrows
DELETE FROM sessions WHERE user_id = :user_id
