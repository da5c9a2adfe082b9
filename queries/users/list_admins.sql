-- Every administrator, ordered by user id.
-- :many
SELECT * FROM users WHERE is_admin ORDER BY user_id
