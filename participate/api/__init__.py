"""Open data: the versioned JSON API (/api/v1), the site search page, personal API tokens and
the open-data downloads, under one parent blueprint (``participate.api.views.bp``)."""
