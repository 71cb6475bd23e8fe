"""What the imports refuse to let happen elsewhere while one of them runs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from equipage.core.errors import Conflict
from equipage.imports.actions import _break_stale_lock
from equipage.imports.models import ImportJob
from equipage.organizations.deletion import deletion_guard
from equipage.organizations.models import Organization


@deletion_guard
def no_deletion_during_an_import(organization: Organization) -> None:
    """Refuse to delete an organization an import is writing into.

    A lock whose holder died is broken first, as the import itself does, so a
    crashed import does not block the deletion for ever.
    """
    if ImportJob.objects.filter(organization=organization, lock=True).exists() and (
        not _break_stale_lock(organization)
    ):
        raise Conflict(
            _(
                "An import is in progress for this organization; wait until it ends, "
                "then delete the organization."
            ),
            code="import_in_progress",
        )
