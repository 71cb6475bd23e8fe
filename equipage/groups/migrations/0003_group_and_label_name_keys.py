"""Group and label names unique as the import reads them (issue #16.3): a stored folded key.

Existing twins (« Résidents » / « residents ») are left as they are: the
later one gets no key (NULL, outside the constraint) and is reported.
"""

from typing import Any

from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from equipage.core.name_keys import fill_name_keys
    from equipage.core.text import fold

    fill_name_keys(apps.get_model("groups", "Group"), fold, "group")
    fill_name_keys(apps.get_model("groups", "Label"), fold, "label")


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0002_own_fk_indexes_dropped"),
        ("organizations", "0005_scim_accept_passwords"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="label",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                fields=("organization", "name_key"), name="group_name_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.UniqueConstraint(
                fields=("organization", "name_key"), name="label_name_key_unique"
            ),
        ),
    ]
