-- Create scripts table: the JavaScript sources the engine runs, addressed by URI.
CREATE TABLE IF NOT EXISTS scripts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    uri TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    initialized BOOLEAN NOT NULL DEFAULT false,
    init_error TEXT,
    last_init_time TIMESTAMPTZ
);

-- The uniqueness of uri already gives the lookup index; this one serves the
-- "scripts still to initialise" scan without reading initialised rows.
CREATE INDEX IF NOT EXISTS idx_scripts_uninitialized ON scripts (uri) WHERE NOT initialized;
