-- Append a small batch of log lines in one statement: row i is (script_uris[i],
-- messages[i]). For large batches use `append_many` (COPY).
-- :execrows
INSERT INTO logs (script_uri, message)
SELECT * FROM unnest(:script_uris::text[], :messages::text[])
