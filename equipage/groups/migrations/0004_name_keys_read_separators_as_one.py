"""Group and label keys recomputed: « Sales, EMEA » and « Sales; EMEA » are one name to the import.

Names may now hold ``,`` ``;`` ``|`` (an IdP's « Sales, EMEA »); the import
reads them with the separators normalised (``core.text.list_name_key``), so the
stored key follows the same rule. Older names that now read as one are left as
they are: the later one loses its key (NULL, outside the constraint) and is
reported, as in 0003. Custom fields keep their own rule (accounts 0009).
"""

from typing import Any

from django.db import migrations


def refill(apps: Any, schema_editor: Any) -> None:
    from equipage.core.name_keys import fill_name_keys
    from equipage.core.text import list_name_key

    fill_name_keys(apps.get_model("groups", "Group"), list_name_key, "group")
    fill_name_keys(apps.get_model("groups", "Label"), list_name_key, "label")


class Migration(migrations.Migration):
    dependencies = [("groups", "0003_group_and_label_name_keys")]

    operations = [migrations.RunPython(refill, migrations.RunPython.noop, elidable=True)]
