import django.db.models.deletion
from django.db import migrations, models


def drop_organization_index(apps, schema_editor):
    """Drop the foreign key's own index on accounts_member.organization_id, and nothing else.

    The composite (organization_id, ...) indexes serve every lookup it served.
    DROP INDEX rather than AlterField: SQLite would rebuild the whole table and
    lose the directory's triggers and collated indexes.
    """
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_member")
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and info["columns"] == ["organization_id"]:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_organization_index(apps, schema_editor):
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS accounts_member_organization_id_7191fca5"
        " ON accounts_member (organization_id)"
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_drop_search_text_btree"), ("organizations", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="member",
                    name="organization",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="organizations.organization",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_organization_index, create_organization_index),
            ],
        ),
    ]
