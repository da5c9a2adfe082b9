-- Find a user by email address.
-- :optional
SELECT * FROM users WHERE email = :email
