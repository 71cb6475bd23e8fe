"""Equipage's SQLite engine: Django's, with connections kept while their file stays the same."""
