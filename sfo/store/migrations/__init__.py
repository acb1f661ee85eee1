"""Alembic migrations of the store's schema (run through :mod:`sfo.store.schema`).

``env.py`` is Alembic's environment; ``versions/`` holds one module per
revision. The package is shipped in the wheel so ``sfo db upgrade`` needs no
``alembic.ini``.
"""
