-- Grant or revoke the admin and editor roles of a user.
-- :optional
UPDATE users
SET is_admin = :is_admin,
    is_editor = :is_editor,
    updated_at = now()
WHERE user_id = :user_id
RETURNING *
