"""Helpers for the runtime tests of rendered services (tests/service/test_runtime_*.py)."""
