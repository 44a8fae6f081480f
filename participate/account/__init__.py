"""The account area."""
