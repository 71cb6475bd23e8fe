"""SQLite: build the name-walk index on the key function ``eq_name_key`` instead of a collation.

With the Python collation ``eq_name`` in the index, SQLite calls back into
Python once per B-tree comparison: about 28 calls per inserted member at a
million members, half of the member inserts' time. An index on the
deterministic function ``eq_name_key(name)`` (folded name, NUL, exact text:
directory/collation.py) orders the same way and costs two calls per row.
The directory's queries order and compare by the same expressions
(selectors), so they still walk this index and stop at one page.

The raw names close the index: SQLite 3.40 counts a query that mentions
``last_name`` (even only inside ``eq_name_key(last_name)``) as needing the
column itself. Without them every row a keyset page skips was read from the
table (a deep page at a million members: 5.4 ms instead of 1.7 ms), and a
walk showing no state was no longer index-only. They cost ~15 % more index,
no Python call (``id`` before them is unique, so they are never compared).
PostgreSQL keeps its ICU collation: nothing changes there.
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

# Sample the new index for the planner, as directory/statistics.py does.
ANALYZE = ["PRAGMA analysis_limit=1000", "ANALYZE accounts_member"]
SQLITE_UP = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, eq_name_key(last_name), eq_name_key(first_name), id, search_text,"
    " last_name, first_name)",
    *ANALYZE,
]
SQLITE_DOWN = [
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id, search_text)",
    *ANALYZE,
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_state_changes_in_place")]

    operations = [sql_per_vendor({"sqlite": SQLITE_UP}, {"sqlite": SQLITE_DOWN})]
