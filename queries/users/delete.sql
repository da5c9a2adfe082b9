-- Delete a user (its sessions go with it); returns the number of rows deleted (0 or 1).
-- :execrows
DELETE FROM users WHERE user_id = :user_id
