"""One module per schema revision (Alembic loads them; nothing imports them)."""
