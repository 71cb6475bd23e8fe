"""Each organization's minimum password length (issue #18.7; 12 by default, never below 8)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organizations", "0008_bin_and_retention")]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="password_min_length",
            field=models.PositiveSmallIntegerField(default=12),
        ),
    ]
