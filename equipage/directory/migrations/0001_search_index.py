"""Index the members' folded search text for substring search at a million rows.

SQLite: an FTS5 trigram table over ``accounts_member.search_text`` (external
content), kept in sync by triggers, so every write path (actions, imports,
bulk updates) updates it in one place: the database.
PostgreSQL: a pg_trgm GIN index, which ``LIKE '%word%'`` uses directly.
Both: an (organization, created_at, id) index for the "newest first" sort.
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS directory_member_fts USING fts5("
    "search_text, content='accounts_member', content_rowid='id', tokenize='trigram')",
    "INSERT INTO directory_member_fts(directory_member_fts) VALUES('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS directory_member_fts_ai AFTER INSERT ON accounts_member BEGIN "
    "INSERT INTO directory_member_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS directory_member_fts_ad AFTER DELETE ON accounts_member BEGIN "
    "INSERT INTO directory_member_fts(directory_member_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS directory_member_fts_au AFTER UPDATE OF search_text "
    "ON accounts_member BEGIN "
    "INSERT INTO directory_member_fts(directory_member_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO directory_member_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE INDEX IF NOT EXISTS directory_member_org_created "
    "ON accounts_member (organization_id, created_at, id)",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS directory_member_fts_ai",
    "DROP TRIGGER IF EXISTS directory_member_fts_ad",
    "DROP TRIGGER IF EXISTS directory_member_fts_au",
    "DROP TABLE IF EXISTS directory_member_fts",
    "DROP INDEX IF EXISTS directory_member_org_created",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS directory_member_search_trgm "
    "ON accounts_member USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS directory_member_org_created "
    "ON accounts_member (organization_id, created_at, id)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS directory_member_search_trgm",
    "DROP INDEX IF EXISTS directory_member_org_created",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        sql_per_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        )
    ]
