"""testban."""
