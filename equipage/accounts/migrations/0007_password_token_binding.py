"""Bind set/reset-password links to what they protect (issue #13.4).

Links still alive are bound to their account as it is now, so a link mailed
just before the upgrade keeps working until the account changes.
"""

from django.db import migrations, models
from django.utils import timezone


def bind_live_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    from equipage.accounts.tokens import account_binding

    PasswordToken = apps.get_model("accounts", "PasswordToken")
    live = PasswordToken.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
    for token in live.select_related("member").iterator():
        member = token.member
        token.binding = account_binding(member.password, member.email, member.session_version)
        token.save(update_fields=["binding"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_drop_binary_name_index")]

    operations = [
        migrations.AddField(
            model_name="passwordtoken",
            name="binding",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(bind_live_tokens, migrations.RunPython.noop),
    ]
