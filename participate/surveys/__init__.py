"""Digital opinion surveys: staff build questionnaires, verified accounts answer once, the
results are published with weighted shares and under the small-cell rule."""
