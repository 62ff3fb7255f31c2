"""One module per page: each has `pages` (HTML) and `api` (the same data as JSON, /api)."""
