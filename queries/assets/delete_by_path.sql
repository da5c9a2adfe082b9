-- Delete the asset at this public path; returns the number of rows deleted (0 or 1).
-- :execrows
DELETE FROM assets WHERE public_path = :public_path
