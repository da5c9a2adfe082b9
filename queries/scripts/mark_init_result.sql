-- Record the outcome of running a script's init function (init_error is NULL on success).
-- :optional
-- @nullable init_error
UPDATE scripts
SET initialized = :initialized,
    init_error = :init_error,
    last_init_time = now(),
    updated_at = now()
WHERE uri = :uri
RETURNING *
