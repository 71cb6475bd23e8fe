"""SQLite: take ``state`` out of the name-walk index, so a state change leaves it alone.

SQLite rewrites an index on UPDATE only when the index holds a changed column.
With ``state`` in the collated name index, deactivating 50,000 members re-sorted
50,000 entries through the Python ``eq_name`` collation (about 3 million calls).
The walk still reads the folded text from the index and checks the state on the
row it keeps. PostgreSQL keeps its INCLUDE (state, search_text): a state change
there is never a HOT update, so every index gets a new entry anyway.
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

SQLITE_UP = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id, search_text)",
    # A new index without statistics looks selective to SQLite's planner: sample it now.
    "PRAGMA analysis_limit=1000",
    "ANALYZE accounts_member",
]
SQLITE_DOWN = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id, state,"
    " search_text)",
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_name_collation")]

    operations = [sql_per_vendor({"sqlite": SQLITE_UP}, {"sqlite": SQLITE_DOWN})]
