import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from equipage.core.schema import drop_own_index


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The composite indexes already serve these columns: drop only the extra
        # indexes (core/schema.py), no table rebuild.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="groupmembership",
                    name="group",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="groups.group",
                    ),
                ),
                migrations.AlterField(
                    model_name="groupmembership",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="memberlabel",
                    name="label",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="member_rows",
                        to="groups.label",
                    ),
                ),
                migrations.AlterField(
                    model_name="memberlabel",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="label_rows",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                drop_own_index("groups_groupmembership", "group_id"),
                drop_own_index("groups_groupmembership", "member_id"),
                drop_own_index("groups_memberlabel", "label_id"),
                drop_own_index("groups_memberlabel", "member_id"),
            ],
        ),
    ]
