-- Delete the script with this URI; returns the number of rows deleted (0 or 1).
-- :execrows
DELETE FROM scripts WHERE uri = :uri
