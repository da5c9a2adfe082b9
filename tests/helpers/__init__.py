"""Plain helper modules for the tests (no fixtures here: fixtures live in tests/conftest.py)."""
