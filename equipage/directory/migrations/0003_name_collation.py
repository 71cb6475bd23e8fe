"""Sort names accent-insensitively: the name-walk index now orders by the ``eq_name`` collation.

PostgreSQL: ``eq_name`` is ICU's root collation (« Élodie » between « Elodie »
and « Emma », case ignored first), created here. SQLite: ``eq_name`` is the
Python collation of directory/collation.py, registered on every connection.
The covering index of 0002 is rebuilt with the collation so the directory's
ORDER BY ... COLLATE eq_name still walks it and stops at one page.
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

SQLITE_UP = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id, state,"
    " search_text)",
]
SQLITE_DOWN = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name, first_name, id, state, search_text)",
]
POSTGRES_UP = [
    "CREATE COLLATION IF NOT EXISTS eq_name (provider = icu, locale = 'und')",
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id)"
    " INCLUDE (state, search_text)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name, first_name, id) INCLUDE (state, search_text)",
    "DROP COLLATION IF EXISTS eq_name",
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_name_walk_index")]

    operations = [
        sql_per_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        )
    ]
