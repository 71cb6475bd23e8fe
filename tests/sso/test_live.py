"""Single sign-on end to end: two real ``equipage serve`` nodes and the loopback provider.

The owner configures the provider in the console of one node; a browser starts
the sign-in on the other node and comes back to the first: the state kept in
the (database) session holds across nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live import (
    Browser,
    create_acme,
    free_port,
    query,
    shared_database,
    start_node,
    stop,
    wait_http,
)
from tests.sso.idp import CLIENT_ID, CLIENT_SECRET, TEST_REDIRECT, running_idp, sign_in_at_idp


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("sso-live")
    first, second = free_port(), free_port()
    redirect = f"http://127.0.0.1:{first}/o/acme/sso/callback"
    with running_idp([TEST_REDIRECT, redirect]) as idp, shared_database(tmp) as env:
        env["EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK"] = "1"
        env["EQUIPAGE_BASE_URL"] = f"http://127.0.0.1:{first}"
        link = create_acme(env)
        nodes = [start_node(env, first), start_node(env, second)]
        try:
            wait_http(first)
            wait_http(second)
            yield {
                "env": env,
                "idp": idp,
                "link": link,
                "first": first,
                "second": second,
                "redirect": redirect,
            }
        finally:
            stop(*nodes)


def _owner_configures_sso(live: dict[str, Any]) -> None:
    owner = Browser(live["first"])
    path = urlsplit(live["link"]).path
    done = owner.post_form(
        path,
        {
            "first_name": "Olga",
            "last_name": "Owner",
            "new_password1": "owner-break-glass-42",
            "new_password2": "owner-break-glass-42",
        },
    )
    assert done.status == 302, done.text[:500]
    assert owner.login("owner@acme.test", "owner-break-glass-42") == 302
    saved = owner.post_form(
        "/o/acme/settings/sso/",
        {
            "op": "save",
            "display_name": "Okta",
            "issuer": live["idp"].issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "enabled": "on",
            "require_sso": "on",
        },
    )
    assert saved.status == 302, saved.text[:800]
    page = owner.request("GET", "/o/acme/settings/sso/").text
    assert live["redirect"] in page and CLIENT_SECRET not in page


def test_sign_in_started_on_one_node_finishes_on_another(live: dict[str, Any]) -> None:
    _owner_configures_sso(live)
    second = Browser(live["second"])
    login_page = second.request("GET", "/o/acme/login").text
    assert "Sign in with Okta" in login_page
    started = second.request("GET", "/o/acme/sso/login")
    assert started.status == 302
    back = sign_in_at_idp(started.headers["Location"], "owner-sub", live["redirect"])
    first = Browser(live["first"], cookies=second.cookies)  # the same browser, the other node
    finished = first.request("GET", urlsplit(back).path + "?" + urlsplit(back).query)
    assert finished.status == 302 and finished.headers["Location"] == "/o/acme/"
    assert second.request("GET", "/o/acme/me/").status == 200
    rows = query(live["env"], "SELECT event_type FROM audit_auditevent")
    events = {r[0] for r in rows}
    assert {"sso.configured", "member.sso_login"} <= events
    stored = query(live["env"], "SELECT client_secret_encrypted FROM sso_oidcprovider")
    assert stored and CLIENT_SECRET not in stored[0][0]
    # Single sign-on is required now: the owner's password still opens the door (break-glass).
    assert Browser(live["second"]).login("owner@acme.test", "owner-break-glass-42") == 302
    refused = Browser(live["second"]).post_form(
        "/o/acme/login", {"identifier": "someone@acme.test", "password": "whatever-42"}
    )
    assert refused.status == 200 and re.search(r"signs in with Okta", refused.text)
