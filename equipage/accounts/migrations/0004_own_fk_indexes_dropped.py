import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from equipage.core.schema import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_member_organization_no_own_index"),
    ]

    operations = [
        # The composite indexes already serve these columns: drop only the extra
        # indexes (core/schema.py), no table rebuild.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="memberrole",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="role_rows",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                drop_own_index("accounts_memberrole", "member_id"),
            ],
        ),
    ]
