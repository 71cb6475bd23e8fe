"""Lifecycle policies (issue #19.5): the policy row, the dormancy warnings, the last-login index.

The index serves the directory's « no login for more than N days » filter and
its sort by last login (NULL, « never », first: SQLite's own NULL order, asked
for explicitly on PostgreSQL), and the dormant-accounts job. It is raw SQL
here, like the directory's indexes on ``accounts_member``, so that the
accounts app's migrations stay as they are.
"""

import django.db.models.deletion
import equipage.organizations.models
from django.conf import settings
from django.db import migrations, models

from equipage.core.schema import sql_per_vendor

INDEX_UP = {
    "sqlite": [
        "CREATE INDEX IF NOT EXISTS lifecycle_member_last_login"
        " ON accounts_member (organization_id, last_login, id)"
    ],
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS lifecycle_member_last_login"
        " ON accounts_member (organization_id, last_login NULLS FIRST, id)"
    ],
}
INDEX_DOWN = {
    vendor: ["DROP INDEX IF EXISTS lifecycle_member_last_login"]
    for vendor in ("sqlite", "postgresql")
}


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0006_two_factor_requirement'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LifecyclePolicy',
            fields=[
                ('organization', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='lifecycle', serialize=False, to='organizations.organization')),
                ('dormant_enabled', models.BooleanField(default=False)),
                ('dormant_after_days', models.PositiveSmallIntegerField(default=180)),
                ('dormant_warning_days', models.PositiveSmallIntegerField(default=7)),
                ('reminders_enabled', models.BooleanField(default=False)),
                ('reminder_days', models.JSONField(default=equipage.organizations.models.default_reminder_days)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='DormancyWarning',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('since', models.DateTimeField()),
                ('warned_at', models.DateTimeField()),
                ('member', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('member', 'since'), name='dormancywarning_once')],
            },
        ),
        sql_per_vendor(INDEX_UP, INDEX_DOWN),
    ]
