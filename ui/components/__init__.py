"""Widgets and helpers the pages share; each owns session-state keys with its own prefix."""
