-- Find an author by e-mail address.
-- :optional
SELECT * FROM authors WHERE email = :email
