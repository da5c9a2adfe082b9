-- Bulk-load scripts (uri, code) with one COPY; returns the number of rows written.
-- A URI that exists already fails the whole load (UniqueViolation): nothing is written.
-- :copyfrom
INSERT INTO scripts (uri, code) VALUES (:uri, :code)
