"""Drop the tables of django-axes, which the login throttle replaced (accounts 0007).

A database created before keeps them otherwise, with addresses and user agents
of old failed logins in them. New databases never had them: IF EXISTS.
"""

from django.db import migrations

AXES_TABLES = [
    "axes_accessattemptexpiration",  # refers to axes_accessattempt: dropped first
    "axes_accessattempt",
    "axes_accessfailurelog",
    "axes_accesslog",
]


class Migration(migrations.Migration):
    dependencies = [("core", "0001_shared_cache")]

    operations = [
        migrations.RunSQL(
            [f"DROP TABLE IF EXISTS {table}" for table in AXES_TABLES]
            + ["DELETE FROM django_migrations WHERE app = 'axes'"],
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
