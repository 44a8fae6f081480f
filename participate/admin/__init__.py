"""The admin area."""
