DROP VIEW published_posts;
DROP TABLE comments;
DROP TABLE posts;
DROP TABLE authors;
DROP TYPE post_state;
