"""« Corbeille » in the console, and deleting « all N » only once N is typed (issue #19.4)."""

from __future__ import annotations

from typing import Any

import pytest

from equipage.accounts.actions import member_delete
from equipage.accounts.models import Member

pytestmark = pytest.mark.django_db


def test_deleting_all_matching_members_needs_the_count_typed_on_the_server(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    client = login_as(admin)
    wanted = {"action": "delete", "all": "1", "filter": "q=o", "confirmed": "1"}
    page = client.post(
        "/o/acme/members/bulk", {k: v for k, v in wanted.items() if k != "confirmed"}
    )
    assert 'name="typed_count"' in page.content.decode()
    refused = client.post("/o/acme/members/bulk", wanted)  # JavaScript off, nothing typed
    assert refused.status_code == 400 and "type the number" in refused.content.decode()
    wrong = client.post("/o/acme/members/bulk", {**wanted, "typed_count": "1"})
    assert wrong.status_code == 400
    assert not Member.objects.filter(state="binned").exists()


def test_typing_the_count_deletes_all_into_the_bin(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    from equipage.directory.selectors import DirectoryQuery
    from equipage.directory.selectors import matching_ids as ids_of
    from equipage.permissions import Actor

    client = login_as(admin)
    query = DirectoryQuery.from_params({"q": "outsider"})
    n = len(ids_of(Actor.for_member(admin), query))
    client.post(
        "/o/acme/members/bulk",
        {
            "action": "delete",
            "all": "1",
            "filter": "q=outsider",
            "confirmed": "1",
            "typed_count": str(n),
        },
    )
    assert Member.objects.get(pk=outsider.pk).state == "binned"
    assert Member.objects.get(pk=member.pk).state == "active"


def test_the_bin_page_lists_and_restores_one_or_all(
    login_as: Any, admin: Any, member: Any, outsider: Any
) -> None:
    member_delete(actor=admin, member=member)
    member_delete(actor=admin, member=outsider)
    client = login_as(admin)
    page = client.get("/o/acme/members/bin/").content.decode()
    assert member.login in page and outsider.login in page
    assert member.login not in client.get("/o/acme/members").content.decode()
    client.post("/o/acme/members/bin/", {"ids": [member.pk]})
    assert Member.objects.get(pk=member.pk).state == "active"
    assert Member.objects.get(pk=outsider.pk).state == "binned"
    client.post("/o/acme/members/bin/", {"all": "1"})
    assert Member.objects.get(pk=outsider.pk).state == "active"


def test_the_bin_page_is_in_french_and_refused_to_members(
    login_as: Any, admin: Any, member: Any
) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    assert "Corbeille" in client.get("/o/acme/members/bin/").content.decode()
    assert login_as(member).get("/o/acme/members/bin/").status_code == 403


def test_another_tenant_cannot_restore_through_the_bin_page(
    login_as: Any, admin: Any, member: Any, other_admin: Any
) -> None:
    member_delete(actor=admin, member=member)
    client = login_as(other_admin)
    assert member.login not in client.get("/o/globex/members/bin/").content.decode()
    client.post("/o/globex/members/bin/", {"ids": [member.pk]})
    assert Member.objects.get(pk=member.pk).state == "binned"
    # Another organization's console is not theirs: sent to that organization's login.
    other = client.get("/o/acme/members/bin/")
    assert other.status_code == 302 and other["Location"].startswith("/o/acme/login")


def test_retention_settings_are_saved_from_their_own_section(
    login_as: Any, owner: Any, org: Any
) -> None:
    client = login_as(owner)
    fields = {
        "op": "retention",
        "bin_days": "45",
        "audit_retention_days": "730",
        "mail_retention_days": "30",
        "webhook_log_retention_days": "7",
        "import_retention_days": "60",
    }
    assert client.post("/o/acme/settings/", fields).status_code == 302
    org.refresh_from_db()
    assert (org.bin_days, org.audit_retention_days, org.webhook_log_retention_days) == (45, 730, 7)
    bad = client.post("/o/acme/settings/", {**fields, "bin_days": "0"})
    assert bad.status_code == 400
