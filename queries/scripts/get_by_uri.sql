-- Find a script by its URI.
-- :optional
SELECT * FROM scripts WHERE uri = :uri
