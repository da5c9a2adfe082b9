-- Write a draft post (unpublished) and return it.
-- :one
INSERT INTO posts (author_id, title, body) VALUES (:author_id, :title, :body) RETURNING *
