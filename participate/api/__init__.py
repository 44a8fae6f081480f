"""Open data: the versioned JSON API (/api/v1), the site search page, personal API tokens and
the open-data downloads. One auto-registered parent blueprint (``participate.api.views.bp``)
carries the children, so nothing in the app factory changes."""
