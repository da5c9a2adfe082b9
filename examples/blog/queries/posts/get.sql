-- Find a post by id, on the primary even with read replicas: the page
-- shown right after `create` or `publish` must see that write, which a
-- lagging replica may not have yet.
-- :optional
-- @primary
SELECT * FROM posts WHERE id = :id
