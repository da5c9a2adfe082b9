-- Find a post by id.
-- :optional
SELECT * FROM posts WHERE id = :id
