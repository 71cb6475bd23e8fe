import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from equipage.core.schema import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_event_type_free"),
        ("organizations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The composite indexes already serve these columns: drop only the extra
        # indexes (core/schema.py), no table rebuild.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="member",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
            ],
            database_operations=[
                drop_own_index("audit_auditevent", "member_id"),
                drop_own_index("audit_auditevent", "organization_id"),
            ],
        ),
    ]
