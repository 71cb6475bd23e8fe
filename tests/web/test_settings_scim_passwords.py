"""The console's checkbox for IdP passwords over SCIM, in the settings' Integrations card."""

from __future__ import annotations

from typing import Any


def test_settings_page_offers_the_scim_password_setting_unchecked(
    login_as: Any, admin: Any
) -> None:
    body = login_as(admin).get("/o/acme/settings/").content.decode()
    assert 'name="op" value="scim_passwords"' in body
    assert 'name="accept"' in body and "Okta sends a placeholder password" in body


def test_admin_checks_then_unchecks_it(login_as: Any, admin: Any, org: Any) -> None:
    client = login_as(admin)
    reply = client.post("/o/acme/settings/", {"op": "scim_passwords", "accept": "on"})
    assert reply.status_code == 302
    org.refresh_from_db()
    assert org.scim_accept_passwords is True
    client.post("/o/acme/settings/", {"op": "scim_passwords"})
    org.refresh_from_db()
    assert org.scim_accept_passwords is False


def test_french_console_says_it_in_french(login_as: Any, admin: Any) -> None:
    client = login_as(admin)
    client.cookies["django_language"] = "fr"
    body = client.get("/o/acme/settings/").content.decode()
    assert "Accepter les mots de passe envoyés par le fournisseur d’identité (SCIM)" in body


def test_hidden_when_the_operator_switched_scim_off(login_as: Any, admin: Any, org: Any) -> None:
    org.features = {**org.features, "scim": False}
    org.save(update_fields=["features"])
    body = login_as(admin).get("/o/acme/settings/").content.decode()
    assert 'value="scim_passwords"' not in body
