"""PostgreSQL: let a state change be a HOT update, written in place, no index touched.

A row whose indexed columns do not change, and whose page has room, is updated
in place (HOT): none of the table's indexes gets a new entry. Deactivating
50,000 of a million members took 3 s of index maintenance, 0.14 s this way.
So on PostgreSQL no index holds ``state`` (nor the other columns a state change
writes), and the table keeps half of each page free for the new row versions
(fillfactor 50: a bulk action changes every row of a page at once). Seats are
then counted from ``organizations_membercount`` (organizations 0002) and the
directory checks a member's state on the row it keeps (selectors).

SQLite rewrites only the indexes holding a changed column and has no HOT: it
keeps its (organization, state) index, now created here.

The fillfactor applies to pages written from now on; ``VACUUM FULL
accounts_member`` applies it to an existing table (see the README).
"""

from django.db import migrations

from equipage.core.schema import sql_per_vendor

SQLITE_UP = [
    "CREATE INDEX IF NOT EXISTS member_org_state ON accounts_member (organization_id, state)",
]
SQLITE_DOWN: list[str] = []
POSTGRES_UP = [
    "DROP INDEX IF EXISTS member_org_state",
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id)"
    " INCLUDE (search_text)",
    "ALTER TABLE accounts_member SET (fillfactor = 50)",
]
POSTGRES_DOWN = [
    "ALTER TABLE accounts_member RESET (fillfactor)",
    "DROP INDEX IF EXISTS directory_member_name_cover",
    "CREATE INDEX IF NOT EXISTS directory_member_name_cover ON accounts_member "
    "(organization_id, last_name COLLATE eq_name, first_name COLLATE eq_name, id)"
    " INCLUDE (state, search_text)",
    "CREATE INDEX IF NOT EXISTS member_org_state ON accounts_member (organization_id, state)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_name_walk_without_state"),
        ("accounts", "0005_member_state_index_to_directory"),
    ]

    operations = [
        sql_per_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        )
    ]
