-- Append a small batch of log lines in one statement (unnest of one array per column).
-- For large batches use `append_many` (COPY).
-- :execrows
-- @rows script_uris, messages
INSERT INTO logs (script_uri, message)
SELECT * FROM unnest(:script_uris::text[], :messages::text[])
