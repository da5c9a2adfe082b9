-- Blog schema for the analysis corpus: views, generated columns, self references,
-- timestamp without time zone, smallint, text arrays and jsonb.
CREATE TYPE post_state AS ENUM ('draft', 'published', 'archived');

CREATE TABLE authors (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    handle VARCHAR(30) NOT NULL UNIQUE,
    bio TEXT,
    joined_on DATE NOT NULL DEFAULT CURRENT_DATE,
    karma INTEGER NOT NULL DEFAULT 0 CHECK (karma >= -1000)
);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    author_id UUID NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    state post_state NOT NULL DEFAULT 'draft',
    tags TEXT[] NOT NULL DEFAULT '{}',
    extra JSONB,
    word_count INTEGER GENERATED ALWAYS AS (array_length(regexp_split_to_array(body, '\s+'), 1)) STORED,
    published_at TIMESTAMP,
    views BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE comments (
    id SERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments (id),
    author_id UUID REFERENCES authors (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    score SMALLINT NOT NULL DEFAULT 0,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX posts_one_draft_per_slug ON posts (slug) WHERE state = 'draft';

CREATE VIEW published_posts AS
    SELECT id, author_id, slug, title, published_at FROM posts WHERE state = 'published';
