"""Proposals (提點子), endorsement (附議), consultations (眾開講) and official responses."""
