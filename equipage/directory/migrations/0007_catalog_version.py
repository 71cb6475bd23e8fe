"""The organization's catalog version, kept by triggers (see ``directory.models.CatalogVersion``).

SQLite: row triggers (an upsert each: a bulk insert of labels writes it once a row).
PostgreSQL: statement triggers reading the transition tables, once per statement.
Existing organizations get a version here.
"""

from django.db import migrations, models

from equipage.core.schema import sql_per_vendor

TABLES = ("groups_group", "groups_label", "accounts_customfield")
TABLE = "directory_catalogversion"

SQLITE_UP = [
    f"CREATE TRIGGER IF NOT EXISTS directory_catalog_{table}_{op.lower()} AFTER {op} ON {table}"
    f" BEGIN INSERT INTO {TABLE} (organization_id, version)"
    f" VALUES ({row}.organization_id, random())"
    " ON CONFLICT (organization_id) DO UPDATE SET version = excluded.version; END"
    for table in TABLES
    for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
] + [f"INSERT INTO {TABLE} (organization_id, version) SELECT id, random() FROM organizations_organization"]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS directory_catalog_{table}_{op}"
    for table in TABLES
    for op in ("insert", "update", "delete")
]

FUNCTION = f"""
CREATE OR REPLACE FUNCTION directory_catalog_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {TABLE} (organization_id, version)
      SELECT organization_id, (random() * 9e18)::bigint
      FROM (SELECT DISTINCT organization_id FROM old_rows) AS changed
      WHERE organization_id IS NOT NULL
      ON CONFLICT (organization_id) DO UPDATE SET version = EXCLUDED.version;
  ELSE
    INSERT INTO {TABLE} (organization_id, version)
      SELECT organization_id, (random() * 9e18)::bigint
      FROM (SELECT DISTINCT organization_id FROM new_rows) AS changed
      WHERE organization_id IS NOT NULL
      ON CONFLICT (organization_id) DO UPDATE SET version = EXCLUDED.version;
  END IF;
  RETURN NULL;
END
$$
"""
POSTGRES_UP = (
    [FUNCTION]
    + [
        f"CREATE TRIGGER directory_catalog_{table}_{op.lower()} AFTER {op} ON {table}"
        f" REFERENCING {ref} TABLE AS {name}"
        " FOR EACH STATEMENT EXECUTE FUNCTION directory_catalog_changed()"
        for table in TABLES
        for op, ref, name in (
            ("INSERT", "NEW", "new_rows"),
            ("UPDATE", "NEW", "new_rows"),
            ("DELETE", "OLD", "old_rows"),
        )
    ]
    + [
        f"INSERT INTO {TABLE} (organization_id, version)"
        " SELECT id, (random() * 9e18)::bigint FROM organizations_organization"
    ]
)
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS directory_catalog_{table}_{op} ON {table}"
    for table in TABLES
    for op in ("insert", "update", "delete")
] + ["DROP FUNCTION IF EXISTS directory_catalog_changed()"]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_name_walk_by_key_function"),
        ("organizations", "0005_scim_accept_passwords"),
        ("groups", "0004_name_keys_read_separators_as_one"),
        ("accounts", "0010_member_login_lower_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                ("organization_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
        sql_per_vendor(
            {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        ),
    ]
