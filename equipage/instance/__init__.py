"""Facts about the running installation that every process of it shares (the database)."""
