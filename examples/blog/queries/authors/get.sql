-- Find an author by id.
-- :optional
SELECT * FROM authors WHERE id = :id
