"""Strict schema validation of every rendered document: a kind nothing validates is an error, not a pass."""
