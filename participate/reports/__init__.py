"""The opinion report: background analysis of discussions and the report pages."""
