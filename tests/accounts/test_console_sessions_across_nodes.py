"""A session signed out on one node is refused on the next request on any node (issue #18.4).

Two real ``equipage serve`` processes on one database (SQLite, or PostgreSQL when
``DATABASE_URL`` names it); the browsers are plain HTTP clients keeping cookies.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.live import Browser, create_acme, free_port, shared_database, start_node, stop, wait_http

PASSWORD = "a-long-owner-secret-81"


def _csrf(browser: Browser) -> str:
    page = browser.request("GET", "/o/acme/me/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.status
    return match[1]


def test_signing_out_other_sessions_on_one_node_refuses_them_on_every_node(
    tmp_path: Path,
) -> None:
    with shared_database(tmp_path) as env:
        link = create_acme(env)
        ports = [free_port(), free_port()]
        nodes = [start_node(env, port) for port in ports]
        try:
            for port in ports:
                wait_http(port)
            path = "/o/" + link.split("/o/", 1)[1]
            setter = Browser(ports[0])
            form = {"new_password1": PASSWORD, "new_password2": PASSWORD}
            form |= {"first_name": "Olivia", "last_name": "Owner"}
            assert setter.post_form(path, form).status == 302
            laptop, phone = Browser(ports[0]), Browser(ports[1])
            assert laptop.login("owner@acme.test", PASSWORD) == 302
            assert phone.login("owner@acme.test", PASSWORD) == 302
            assert phone.request("GET", "/o/acme/me/").status == 200
            page = laptop.request("GET", "/o/acme/me/").text
            assert page.count('/sign-out"') == 1  # the phone's row; not this session's
            done = laptop.request(
                "POST",
                "/o/acme/me/sessions/sign-out-others",
                {"csrfmiddlewaretoken": _csrf(laptop)},
            )
            assert done.status == 302
            # The phone's next request, on the other node, is refused.
            refused = phone.request("GET", "/o/acme/me/")
            assert refused.status == 302 and "/o/acme/login" in refused.headers["Location"]
            assert laptop.request("GET", "/o/acme/me/").status == 200
        finally:
            stop(*nodes)
