"""Count each organization's active members in the database (see ``MemberCount``).

PostgreSQL only: three statement-level triggers on ``accounts_member`` read the
statement's transition tables and add the per-organization difference of
active rows, once per statement (a 100,000-row import or a 50,000-member
deactivation is one small aggregate, not a trigger call per row). The counts
of existing members are filled in here.
"""

import django.db.models.deletion
from django.db import migrations, models

from equipage.core.schema import sql_per_vendor

FUNCTION = """
CREATE OR REPLACE FUNCTION organizations_count_active() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO organizations_membercount (organization_id, active)
      SELECT organization_id, count(*) FROM new_rows
      WHERE state = 'active' AND organization_id IS NOT NULL GROUP BY organization_id
      ON CONFLICT (organization_id)
      DO UPDATE SET active = organizations_membercount.active + EXCLUDED.active;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE organizations_membercount AS c SET active = c.active - d.n
      FROM (SELECT organization_id, count(*) AS n FROM old_rows
            WHERE state = 'active' GROUP BY organization_id) AS d
      WHERE c.organization_id = d.organization_id;
  ELSE
    INSERT INTO organizations_membercount (organization_id, active)
      SELECT organization_id, sum(delta) FROM (
        SELECT organization_id, 1 AS delta FROM new_rows WHERE state = 'active'
        UNION ALL
        SELECT organization_id, -1 AS delta FROM old_rows WHERE state = 'active'
      ) AS changes
      WHERE organization_id IS NOT NULL
      GROUP BY organization_id HAVING sum(delta) <> 0
      ON CONFLICT (organization_id)
      DO UPDATE SET active = organizations_membercount.active + EXCLUDED.active;
  END IF;
  RETURN NULL;
END
$$
"""

POSTGRES_UP = [
    FUNCTION,
    "CREATE TRIGGER organizations_count_active_ins AFTER INSERT ON accounts_member"
    " REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION organizations_count_active()",
    "CREATE TRIGGER organizations_count_active_upd AFTER UPDATE ON accounts_member"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION organizations_count_active()",
    "CREATE TRIGGER organizations_count_active_del AFTER DELETE ON accounts_member"
    " REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION organizations_count_active()",
    "INSERT INTO organizations_membercount (organization_id, active)"
    " SELECT o.id, (SELECT count(*) FROM accounts_member m"
    "  WHERE m.organization_id = o.id AND m.state = 'active')"
    " FROM organizations_organization o ON CONFLICT (organization_id) DO NOTHING",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS organizations_count_active_ins ON accounts_member",
    "DROP TRIGGER IF EXISTS organizations_count_active_upd ON accounts_member",
    "DROP TRIGGER IF EXISTS organizations_count_active_del ON accounts_member",
    "DROP FUNCTION IF EXISTS organizations_count_active()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberCount",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="organizations.organization",
                    ),
                ),
                ("active", models.BigIntegerField(default=0)),
            ],
        ),
        sql_per_vendor({"postgresql": POSTGRES_UP}, {"postgresql": POSTGRES_DOWN}),
    ]
