-- Find an asset (with its content) by its public path.
-- :optional
SELECT * FROM assets WHERE public_path = :public_path
