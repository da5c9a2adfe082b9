-- Find a user by the identifier the OAuth provider gave it.
-- :optional
SELECT * FROM users WHERE user_id = :user_id
