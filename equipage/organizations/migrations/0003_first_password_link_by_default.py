"""New organizations get the ``link`` first-password policy; the public ``tempeos`` goes.

Until now every organization was created with seed 000's published temporary
password ``tempeos``. An organization still holding it under the ``shared``
policy is moved to ``link`` (an ``org.updated`` audit event says so, by
"migration"); an organization holding it under ``link`` just forgets it. An
organization that chose its own temporary password keeps it.
"""

from django.contrib.auth.hashers import check_password
from django.db import migrations, models
from django.utils import timezone

PUBLISHED = "tempeos"


def retire_public_password(apps, schema_editor):  # type: ignore[no-untyped-def]
    Organization = apps.get_model("organizations", "Organization")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    now = timezone.now()
    for org in Organization.objects.exclude(temp_password_hash="").iterator():
        if not check_password(PUBLISHED, org.temp_password_hash):
            continue
        moved = org.first_password_policy == "shared"
        org.first_password_policy = "link"
        org.temp_password_hash = ""
        org.updated_at = now
        org.save(update_fields=["first_password_policy", "temp_password_hash", "updated_at"])
        if moved:
            AuditEvent.objects.create(
                organization_id=org.pk,
                organization_slug=org.slug,
                created_at=now,
                event_type="org.updated",
                actor_label="migration",
                target_type="organization",
                target_id=str(org.pk),
                target_label=org.slug,
                before={"first_password_policy": "shared", "temporary_password": "set"},
                after={
                    "first_password_policy": "link",
                    "temporary_password": "none",
                    "reason": "the temporary password was the public “tempeos”",
                },
                origin={"channel": "migration"},
            )
    # ``shared`` without a password of its own cannot open anything: say ``link``.
    Organization.objects.filter(first_password_policy="shared", temp_password_hash="").update(
        first_password_policy="link"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_member_count"),
        ("audit", "0004_audit_keys_without_constraints"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organization",
            name="first_password_policy",
            field=models.CharField(
                choices=[
                    ("shared", "Shared temporary password (first login only, within 14 days)"),
                    ("link", "Single-use set-password link by e-mail (recommended)"),
                ],
                default="link",
                max_length=10,
            ),
        ),
        migrations.RunPython(retire_public_password, migrations.RunPython.noop),
    ]
