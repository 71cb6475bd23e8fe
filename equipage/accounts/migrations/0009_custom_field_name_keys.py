"""Custom field names unique as the import reads their columns (issue #16.3): a stored key.

Existing twins (« Site web » / « Siteweb ») are left as they are: the later
one gets no key (NULL, outside the constraint) and is reported.
"""

from typing import Any

from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from equipage.core.name_keys import fill_name_keys
    from equipage.imports.columns import header_key

    fill_name_keys(apps.get_model("accounts", "CustomField"), header_key, "custom field")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_login_counters"),
        ("organizations", "0005_scim_accept_passwords"),
    ]

    operations = [
        migrations.AddField(
            model_name="customfield",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="customfield",
            constraint=models.UniqueConstraint(
                fields=("organization", "name_key"), name="customfield_name_key_unique"
            ),
        ),
    ]
