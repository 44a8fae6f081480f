"""Open-data dumps (CSV, vote matrices, Pol.is format) built nightly; served by the api area."""
