CREATE TABLE likes (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id UUID NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, author_id)
);
ALTER TABLE authors ADD COLUMN display_name TEXT;
ALTER TABLE comments ALTER COLUMN score TYPE INTEGER;
ALTER TYPE post_state ADD VALUE 'scheduled' AFTER 'draft';
