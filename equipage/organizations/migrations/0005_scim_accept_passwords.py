"""Whether passwords sent by the identity provider over SCIM are accepted (off by default)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organizations", "0004_session_idle_minutes")]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="scim_accept_passwords",
            field=models.BooleanField(default=False),
        ),
    ]
