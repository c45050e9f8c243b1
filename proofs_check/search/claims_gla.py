"""Searches of the GLA claims G1–G4 (docs/gla.md)."""
