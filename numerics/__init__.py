"""glaverify."""
