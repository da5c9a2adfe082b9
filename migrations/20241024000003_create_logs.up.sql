-- Create logs table: script execution log lines. No foreign key to scripts: a log line
-- may be written for a script that is being (re)deployed, and logs outlive scripts.
CREATE TABLE IF NOT EXISTS logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    script_uri TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- "Latest lines of one script" and per-script retention.
CREATE INDEX IF NOT EXISTS idx_logs_script_uri_created_at ON logs (script_uri, created_at DESC);
-- Pruning by age.
CREATE INDEX IF NOT EXISTS idx_logs_created_at ON logs (created_at);
