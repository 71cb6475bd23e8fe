"""Cover the name sort with the columns the directory filters on while walking it.

A frequent search word (« elodie » matches 2% of a million members) is cheaper
to answer by walking the members in name order and keeping the first 50 that
match than by fetching every match from the trigram index and sorting them.
This index lets that walk read state and folded text without visiting the
table (SQLite: all columns in the key; PostgreSQL: INCLUDE, index-only scan).
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

SQLITE_UP = [
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name, first_name, id, state, search_text)",
]
POSTGRES_UP = [
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name, first_name, id) INCLUDE (state, search_text)",
]
DOWN = ["DROP INDEX IF EXISTS directory_member_name_cover"]


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_search_index")]

    operations = [
        sql_per_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}, {"sqlite": DOWN, "postgresql": DOWN}
        )
    ]
