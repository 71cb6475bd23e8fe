"""Whether passwords sent by the identity provider over SCIM are accepted (off by default)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organizations", "0002_member_count")]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="scim_accept_passwords",
            field=models.BooleanField(default=False),
        ),
    ]
