-- How many posts an author has written (drafts included).
-- :one
SELECT count(*) AS posts FROM posts WHERE author_id = :author_id
