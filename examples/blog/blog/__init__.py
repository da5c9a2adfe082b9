"""A small blog on `repo`: the generated data layer is `blog.db`."""
