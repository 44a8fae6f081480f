"""The discussion area: statements, threaded replies, votes, routing, Pol.is import/export."""
