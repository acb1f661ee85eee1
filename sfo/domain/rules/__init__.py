"""Practice-standard rules: shared groundwork, one module per family, and the engine."""
