"""Appendix tables, figures and sweeps."""
