"""The member forms of issue 15 point 5, in Chromium, in French: labels on the profile."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_an_admin_adds_and_removes_a_label_on_the_profile(
    browser_page: Any, org: Any, admin: Any, member: Any, owner: Any
) -> None:
    from equipage.groups.actions import label_create
    from equipage.groups.models import MemberLabel

    label_create(actor=owner, organization=org, name="Bénévole")
    org.language = "fr"
    org.save(update_fields=["language"])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.goto(f"{page.base_url}/o/acme/members/{member.pk}/")
    page.get_by_label("Ajouter une étiquette").select_option(label="Bénévole")
    page.locator("#add-label ~ button").click()
    expect(page.get_by_text("Étiquette « Bénévole » ajoutée.")).to_be_visible()
    assert MemberLabel.objects.filter(member=member, label__name="Bénévole").exists()
    page.get_by_role("button", name="Retirer l’étiquette Bénévole").click()
    expect(page.get_by_text("Étiquette « Bénévole » retirée.")).to_be_visible()
    assert not MemberLabel.objects.filter(member=member).exists()


def test_an_admin_creates_a_member_in_two_groups_with_two_roles_and_a_language(
    browser_page: Any, org: Any, admin: Any, groups: dict[str, Any]
) -> None:
    from equipage.accounts.models import Member
    from equipage.accounts.selectors import roles_of
    from equipage.groups.models import GroupMembership

    org.language = "fr"
    org.save(update_fields=["language"])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.goto(f"{page.base_url}/o/acme/members/new")
    page.locator("#id_first_name").fill("Élodie")
    page.locator("#id_last_name").fill("Martin")
    roles = page.get_by_role("group", name="Rôles")
    expect(roles.get_by_role("checkbox", name="Membre")).to_be_checked()
    roles.get_by_role("checkbox", name="Administrateur d’utilisateurs").check()
    picker = page.get_by_role("group", name="Groupes")
    picker.get_by_role("checkbox", name="Atelier").check()
    picker.get_by_role("checkbox", name="Ventes", exact=True).check()
    page.locator("#id_language").select_option("fr")
    page.locator("#id_send").select_option("password")
    page.locator("#id_password").fill("Long-pass-4242")
    page.get_by_role("button", name="Créer le compte").click()
    page.wait_for_load_state()
    created = Member.objects.get(organization=org, last_name="Martin")
    assert set(roles_of(created)) == {"member", "user_admin"} and created.language == "fr"
    names = set(
        GroupMembership.objects.filter(member=created).values_list("group__name", flat=True)
    )
    assert names == {"Atelier", "Ventes"}


def test_the_group_picker_filters_the_tree_as_one_types(
    browser_page: Any, org: Any, admin: Any, groups: dict[str, Any]
) -> None:
    org.language = "fr"
    org.save(update_fields=["language"])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.goto(f"{page.base_url}/o/acme/invitations/new")
    picker = page.get_by_role("group", name="Groupes")
    nord = picker.get_by_role("checkbox", name="Ventes Nord")
    expect(nord).to_be_visible()
    ventes_box = picker.get_by_role("checkbox", name="Ventes", exact=True).bounding_box()
    nord_box = nord.bounding_box()
    assert ventes_box and nord_box and nord_box["x"] > ventes_box["x"]  # indented one level
    picker.get_by_role("searchbox", name="Filtrer les groupes").fill("nord")
    expect(picker.get_by_role("checkbox", name="Atelier")).to_be_hidden()
    nord.check()
    picker.get_by_role("searchbox", name="Filtrer les groupes").fill("")
    expect(picker.get_by_role("checkbox", name="Atelier")).to_be_visible()
    expect(nord).to_be_checked()


def test_the_contact_line_is_edited_in_place_with_ok_and_a_cancel_cross(
    browser_page: Any, org: Any, admin: Any, member: Any
) -> None:
    org.language = "fr"
    org.save(update_fields=["language"])
    page = browser_page
    log_in(page, "acme", admin.email, "member-pass-123")
    page.goto(f"{page.base_url}/o/acme/members/{member.pk}/")
    edit = page.get_by_text("Modifier les coordonnées")
    edit.click()
    page.locator("#contact-job").fill("Brouillon")
    page.get_by_role("link", name="Annuler").click()  # the cross closes without saving
    expect(page.locator("#contact-job")).to_be_hidden()
    member.refresh_from_db()
    assert member.job_title != "Brouillon"
    edit.click()
    page.locator("#contact-job").fill("Vendeuse")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_text("Coordonnées enregistrées.")).to_be_visible()
    member.refresh_from_db()
    assert member.job_title == "Vendeuse"
