-- Create an author and return it.
-- :one
INSERT INTO authors (name, email) VALUES (:name, :email) RETURNING *
