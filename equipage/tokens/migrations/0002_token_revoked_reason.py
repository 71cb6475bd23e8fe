"""Say why a token was revoked; revoke the tokens whose creator could no longer make them.

Before, a token whose creator was deactivated was only suspended (it worked
again on reactivation) and a demoted or deleted creator's token kept working
or lingered as "active" (issue #13.4). Tokens revoked earlier were revoked
by hand.
"""

from django.db import migrations, models
from django.utils import timezone

# The roles that hold token.manage (permissions/capabilities.py), frozen here.
TOKEN_ROLES = ("owner", "admin")


def revoke_orphans(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("tokens", "ApiToken")
    MemberRole = apps.get_model("accounts", "MemberRole")
    ApiToken.objects.filter(revoked_at__isnull=False).update(revoked_reason="manual")
    now = timezone.now()
    live = ApiToken.objects.filter(revoked_at__isnull=True, operator_issued=False)
    live.filter(created_by__isnull=True).update(revoked_at=now, revoked_reason="creator_deleted")
    live.filter(created_by__state="deactivated").update(
        revoked_at=now, revoked_reason="creator_deactivated"
    )
    managers = MemberRole.objects.filter(role__in=TOKEN_ROLES).values("member_id")
    live.exclude(created_by_id__in=managers).update(
        revoked_at=now, revoked_reason="creator_demoted"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0001_initial"),
        ("accounts", "0007_password_token_binding"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="revoked_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("manual", "Revoked by an administrator"),
                    ("creator_deactivated", "Its creator was deactivated"),
                    ("creator_demoted", "Its creator no longer manages tokens"),
                    ("creator_deleted", "Its creator was deleted"),
                ],
                default="",
                max_length=24,
            ),
        ),
        migrations.RunPython(revoke_orphans, migrations.RunPython.noop),
    ]
