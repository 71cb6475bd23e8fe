from django.db import migrations


class Migration(migrations.Migration):
    """Hand the (organization, state) index over to the directory app (directory 0005).

    Only Django's picture of the model changes here; directory 0005 keeps the
    index on SQLite and drops it on PostgreSQL.
    """

    dependencies = [("accounts", "0004_own_fk_indexes_dropped")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveIndex(model_name="member", name="member_org_state")],
            database_operations=[],
        ),
    ]
