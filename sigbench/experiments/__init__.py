"""Experiments: one run end to end, grids with resume, and report tables."""
