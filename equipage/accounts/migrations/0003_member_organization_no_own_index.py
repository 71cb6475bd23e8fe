import django.db.models.deletion
from django.db import migrations, models

from equipage.core.schema import drop_own_index


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_drop_search_text_btree"), ("organizations", "0001_initial")]

    operations = [
        # Every (organization_id, ...) index serves it; DROP INDEX, not AlterField: SQLite
        # would rebuild the table and lose the directory's triggers and collated indexes.
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
                drop_own_index("accounts_member", "organization_id"),
            ],
        ),
    ]
