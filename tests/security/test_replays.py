"""Issue #13's attacks replayed against a running ``equipage serve`` (HTTP, CLI, files).

One server for the module (with its worker, mails written as ``.eml`` files),
on SQLite or, in the PostgreSQL half of the suite, a throw-away database.
Each test is one attack of the issue, named after it.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import http.client
import itertools
import json
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.imports.helpers import EN_HEADER, csv_bytes
from tests.imports.test_limits import one_row_bomb, shared_strings_bomb, write_workbook
from tests.live import Browser, Response, cli, free_port, query, shared_database, stop, wait_http

OWNER_PASSWORD = "Owner-pass-2026!"
BETA_PASSWORD = "Beta-owner-2026!"
SIGNING_KEY = "key-" + "k" * 32


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "equipage", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _set_password(browser: Browser, link: str, first: str, last: str, password: str) -> None:
    path = "/" + link.split("/", 3)[3]
    r = browser.post_form(
        path,
        {"first_name": first, "last_name": last,
         "new_password1": password, "new_password2": password},
    )  # fmt: skip
    assert r.status == 302, r.text[:300]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("redteam")
    port = free_port()
    with shared_database(tmp) as env:
        env["EQUIPAGE_BASE_URL"] = f"http://127.0.0.1:{port}"
        env["EQUIPAGE_API_RATE_LIMIT"] = "1000000"
        env["EQUIPAGE_ESP"] = "mailgun"
        env["EQUIPAGE_ESP_SIGNING_KEY"] = SIGNING_KEY
        links = {}
        for slug in ("acme", "beta"):
            out = cli(env, "org", "create", slug, "--name", slug.title(),
                      "--owner-email", f"owner@{slug}.test", "--lang", "en")  # fmt: skip
            links[slug] = out.strip().splitlines()[-1]
        token = cli(env, "token", "create", "--org", "acme", "--scope", "api")
        scim = cli(env, "token", "create", "--org", "acme", "--scope", "scim")
        server = _serve(env, port, tmp / "server.log")
        try:
            wait_http(port)
            owner = Browser(port, source="127.0.0.2")
            _set_password(owner, links["acme"], "Olivia", "Owner", OWNER_PASSWORD)
            beta = Browser(port, source="127.0.0.3")
            _set_password(beta, links["beta"], "Bob", "Beta", BETA_PASSWORD)
            assert login(owner, "acme", "owner@acme.test", OWNER_PASSWORD).status == 302
            yield {
                "env": env,
                "port": port,
                "pid": server.pid,
                "owner": owner,
                "api": token.strip().splitlines()[-1],
                "scim": scim.strip().splitlines()[-1],
                "mail": Path(env["EQUIPAGE_DATA_DIR"]) / "mail",
                "log": tmp / "server.log",
            }
        finally:
            stop(server)


def call(
    site: dict[str, Any],
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=60)
    sent = {"Accept-Language": "en", **(headers or {})}
    sent["Authorization"] = f"Bearer {token or site['api']}"
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    conn.putrequest(method, path)
    for k, v in sent.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(len(data or b"")))
    conn.endheaders()
    try:
        if data:
            conn.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before reading the whole body (a 413)
    r = conn.getresponse()
    text = r.read().decode("utf-8", "replace")
    conn.close()
    return Response(r.status, r.headers, text)


def multipart(name: str, data: bytes, fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    boundary = "redteam" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in (fields or {}).items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def preview(site: dict[str, Any], name: str, data: bytes) -> Response:
    body, ctype = multipart(name, data, {"mode": "upsert"})
    return call(site, "POST", "/api/v1/imports/preview", raw=body, headers={"Content-Type": ctype})


def new_member(site: dict[str, Any], **fields: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    body = {"first_name": "Tess", "last_name": f"T{tag}", "email": f"t{tag}@acme.test", **fields}
    r = call(site, "POST", "/api/v1/members", body)
    assert r.status == 201, r.text
    return json.loads(r.text)  # type: ignore[no-any-return]


def login(browser: Browser, slug: str, identifier: str, password: str) -> Response:
    return browser.post_form(f"/o/{slug}/login", {"identifier": identifier, "password": password})


def session_in(browser: Browser, identifier: str, password: str) -> None:
    """Log in as a member an admin created (and pass the forced password change, if any)."""
    r = login(browser, "acme", identifier, password)
    assert r.status == 302, r.text[:300]
    if "password/change" in (r.headers["Location"] or ""):
        new = password + "+"
        r = browser.post_form(
            "/o/acme/password/change/",
            {"old_password": password, "new_password1": new, "new_password2": new},
        )
        assert r.status == 302, r.text[:300]


def forget_session(browser: Browser) -> None:
    """Drop the session (as after closing the browser), keep the device cookies."""
    for name in list(browser.cookies):
        if not name.startswith("equipage_device_"):
            del browser.cookies[name]


def mails_to(site: dict[str, Any], address: str) -> list[email.message.Message]:
    if not site["mail"].exists():
        return []
    found = []
    for path in sorted(site["mail"].glob("*.eml"), key=lambda p: p.stat().st_mtime):
        msg = email.message_from_bytes(path.read_bytes())
        if address in str(msg["To"]):
            found.append(msg)
    return found


def wait_for_mails(site: dict[str, Any], address: str, count: int) -> list[email.message.Message]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = mails_to(site, address)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} mail(s) to {address} not sent within 20 s")


def link_in(msg: email.message.Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()  # type: ignore[union-attr]
            match = re.search(r"http://\S+/password/set/\S+/", text)
            if match:
                return match[0]
    raise AssertionError("no set-password link in the mail")


def server_rss_mb(pid: int) -> float:
    """Return the resident memory (MB) of the server and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status)[1]) if "VmRSS" in status else 0  # type: ignore[index]
        todo.extend(int(c) for c in children)
    return total / 1024


# --- headers, hygiene -------------------------------------------------------------------


def test_console_pages_carry_csp_referrer_policy_and_nosniff(site: dict[str, Any]) -> None:
    r = Browser(site["port"]).request("GET", "/o/acme/login")
    csp = r.headers["Content-Security-Policy"] or ""
    assert "default-src" in csp or "script-src" in csp, csp
    assert "'unsafe-inline'" not in re.sub(r"style-src[^;]*", "", csp), csp
    assert r.headers["Referrer-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_an_invalid_api_token_is_audited(site: dict[str, Any]) -> None:
    before = query(site["env"], "SELECT COUNT(*) FROM audit_auditevent")[0][0]
    r = call(site, "GET", "/api/v1/members", token="eqp_forged" + "x" * 30)
    assert r.status == 401
    after = query(site["env"], "SELECT COUNT(*) FROM audit_auditevent")[0][0]
    assert after > before


def test_an_api_body_over_the_limit_answers_413_in_problem_json(site: dict[str, Any]) -> None:
    huge = b"{" + b" " * (12 * 1024 * 1024) + b"}"
    for path in ("/api/v1/members", "/scim/v2/Users"):
        token = site["scim"] if path.startswith("/scim") else site["api"]
        r = call(site, "POST", path, raw=huge, token=token,
                 headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status == 413, (path, r.status, r.text[:200])
        assert "json" in (r.headers["Content-Type"] or ""), (path, r.headers["Content-Type"])
        json.loads(r.text)


# --- unbounded work and text ------------------------------------------------------------


def test_nul_in_the_console_and_api_search_does_not_answer_500(site: dict[str, Any]) -> None:
    owner = site["owner"]
    assert owner.request("GET", "/o/acme/members?q=a%00b").status < 500
    assert owner.request("GET", "/o/acme/members?search=a%00b").status < 500
    assert call(site, "GET", "/api/v1/members?search=a%00b").status < 500
    assert call(site, "GET", "/scim/v2/Users?filter=userName%20eq%20%22a%00b%22",
                token=site["scim"]).status < 500  # fmt: skip


def test_three_hundred_nested_groups_are_refused_and_the_tree_still_renders(
    site: dict[str, Any],
) -> None:
    parent = None
    created = 0
    for depth in range(300):
        body: dict[str, Any] = {"name": f"nest-{depth}"}
        if parent is not None:
            body["parent_id"] = parent
        r = call(site, "POST", "/api/v1/groups", body)
        if r.status != 201:
            assert 400 <= r.status < 500, r.text
            break
        parent = json.loads(r.text)["id"]
        created += 1
    assert created <= 25, created
    assert site["owner"].request("GET", "/o/acme/groups/").status == 200
    assert call(site, "GET", "/api/v1/groups").status == 200


@pytest.mark.parametrize("char", ["\u202e", "\u200b"])
def test_bidi_and_zero_width_characters_are_refused_in_names_on_every_entry(
    site: dict[str, Any], char: str
) -> None:
    name = f"Eve{char}lyn"
    api = call(site, "POST", "/api/v1/members",
               {"first_name": name, "last_name": "Doe", "email": "bidi@acme.test"})  # fmt: skip
    assert 400 <= api.status < 500, api.text
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"bidi{uuid.uuid4().hex[:6]}@acme.test",
        "name": {"givenName": name, "familyName": "Doe"},
        "emails": [{"value": "bidi2@acme.test", "primary": True}],
    }
    scim = call(site, "POST", "/scim/v2/Users", user, token=site["scim"],
                headers={"Content-Type": "application/scim+json"})  # fmt: skip
    assert 400 <= scim.status < 500, scim.text
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
    scim = call(site, "POST", "/scim/v2/Groups", group, token=site["scim"],
                headers={"Content-Type": "application/scim+json"})  # fmt: skip
    assert 400 <= scim.status < 500, scim.text
    data = csv_bytes([["", "Doe", name, "bidi3@acme.test", "", ""]], header=EN_HEADER)
    report = preview(site, "roster.csv", data)
    assert report.status == 200 or 400 <= report.status < 500, report.text
    assert "error" in report.text.lower(), report.text[:400]
    assert name not in [m["first_name"] for m in members(site)]


def members(site: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(call(site, "GET", "/api/v1/members?limit=500").text)["items"]  # type: ignore[no-any-return]


def test_a_ten_thousand_character_scim_group_name_is_refused(site: dict[str, Any]) -> None:
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G" * 10000}
    r = call(site, "POST", "/scim/v2/Groups", group, token=site["scim"],
             headers={"Content-Type": "application/scim+json"})  # fmt: skip
    assert 400 <= r.status < 500, r.text[:300]


def test_crlf_in_an_organization_name_is_refused_by_the_cli(site: dict[str, Any]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "equipage", "org", "update", "beta", "--name", "Beta\r\nBcc: x"],
        env=site["env"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert (
        query(site["env"], "SELECT name FROM organizations_organization WHERE slug='beta'")[0][0]
        == "Beta"
    )


def test_an_invalid_utf8_byte_in_a_csv_without_bom_is_an_error_naming_the_line(
    site: dict[str, Any],
) -> None:
    # The file: « Élodie » in UTF-8 and one stray byte on the same line, no BOM.
    data = csv_bytes([["", "Durand", "Élodie", "elodie@acme.test", "", "Active"]],
                     header=EN_HEADER, encoding="utf-8")  # fmt: skip
    data = data.replace(b"Durand", b"Dur\xffand")
    r = preview(site, "roster.csv", data)
    assert r.status == 200, r.text
    report = json.loads(r.text)
    assert [e["line"] for e in report["errors"]] == [2], report["errors"]
    # Never a silent re-decode: the rest of the line reads as the UTF-8 it is.
    names = [c["fields"]["first_name"]["after"] for c in report["changes"]]
    assert names in ([], ["Élodie"]), names


@pytest.mark.parametrize(
    ("name", "bomb"),
    [("row.xlsx", "one_row"), ("strings.xlsx", "shared_strings")],
)
def test_a_workbook_bomb_uploaded_through_the_api_is_refused_quickly_in_bounded_memory(
    site: dict[str, Any], tmp_path: Path, name: str, bomb: str
) -> None:
    path = tmp_path / name
    if bomb == "one_row":
        write_workbook(path, one_row_bomb())
    else:
        from tests.imports.test_limits import small_sheet

        write_workbook(path, small_sheet(), shared_strings_bomb())
    before = server_rss_mb(site["pid"])
    start = time.monotonic()
    for endpoint in ("/api/v1/imports/preview", "/api/v1/imports"):
        body, ctype = multipart(name, path.read_bytes(), {"mode": "upsert"})
        r = call(site, "POST", endpoint, raw=body, headers={"Content-Type": ctype})
        assert 400 <= r.status < 500, (endpoint, r.status, r.text[:300])
    elapsed = time.monotonic() - start
    assert elapsed < 10, elapsed
    assert server_rss_mb(site["pid"]) < before + 400


# --- first password ---------------------------------------------------------------------


def test_an_account_created_without_a_password_does_not_open_with_tempeos(
    site: dict[str, Any],
) -> None:
    # New organizations mail a single-use link; no published password opens anything.
    policy = query(site["env"], "SELECT first_password_policy FROM organizations_organization")
    assert {row[0] for row in policy} == {"link"}, policy
    logins = [new_member(site)["login"]]  # the API
    tag = uuid.uuid4().hex[:6]
    r = site["owner"].post_form(  # the console
        "/o/acme/members/new",
        {"first_name": "Conso", "last_name": f"Le{tag}", "email": f"c{tag}@acme.test",
         "login": f"conso.{tag}", "role": "member", "send": "policy", "password": ""},
    )  # fmt: skip
    assert r.status == 302, r.text[-800:]
    logins.append(f"conso.{tag}")
    data = csv_bytes([[f"imp.{tag}", "Imported", "Ivan", f"i{tag}@acme.test", "", "Active"]],
                     header=EN_HEADER)  # fmt: skip
    body, ctype = multipart("r.csv", data, {"mode": "upsert"})
    job = json.loads(call(site, "POST", "/api/v1/imports", raw=body,
                          headers={"Content-Type": ctype}).text)  # fmt: skip
    for _ in range(100):
        job = json.loads(call(site, "GET", f"/api/v1/imports/{job['id']}").text)
        if job["status"] != "previewing":
            break
        time.sleep(0.2)
    assert job["status"] == "previewed", job
    applied = call(site, "POST", f"/api/v1/imports/{job['id']}/apply", {})
    assert applied.status < 300, applied.text
    for _ in range(100):
        if query(site["env"], f"SELECT id FROM accounts_member WHERE login = 'imp.{tag}'"):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the import did not create its member")
    logins.append(f"imp.{tag}")
    for i, name in enumerate(logins):
        r = login(Browser(site["port"], source=f"127.0.2.{i + 1}"), "acme", name, "tempeos")
        assert r.status != 302, (name, r.headers["Location"])


def test_no_reset_mail_is_sent_to_a_deactivated_account(site: dict[str, Any]) -> None:
    # Created with a password: no set-password link is mailed to them at creation.
    member = new_member(site, password="Member-pass-2026!")
    assert call(site, "POST", f"/api/v1/members/{member['id']}/deactivate", {}).status < 300
    r = Browser(site["port"], source="127.0.0.21").post_form(
        "/o/acme/password/reset/", {"identifier": member["email"]}
    )
    assert r.status == 200
    time.sleep(2)
    assert mails_to(site, member["email"]) == []


def test_a_member_refused_an_admin_page_leaves_an_audit_event(site: dict[str, Any]) -> None:
    password = "Member-pass-2026!"
    member = new_member(site, password=password)
    browser = Browser(site["port"], source="127.0.0.22")
    session_in(browser, member["login"], password)
    before = query(site["env"], "SELECT COUNT(*) FROM audit_auditevent "
                   "WHERE event_type = 'security.access_denied'")[0][0]  # fmt: skip
    for path in ("/o/acme/tokens/", "/o/acme/settings/", "/o/acme/webhooks/"):
        assert browser.request("GET", path).status in (403, 404)
    after = query(site["env"], "SELECT COUNT(*) FROM audit_auditevent "
                  "WHERE event_type = 'security.access_denied'")[0][0]  # fmt: skip
    assert after > before


# --- throttling -------------------------------------------------------------------------


def test_logging_into_ones_own_account_does_not_reset_the_failures_on_another_organizations_owner(
    site: dict[str, Any],
) -> None:
    attacker = Browser(site["port"], source="127.0.0.4")
    codes: list[int] = []
    for _ in range(5):
        codes += [login(attacker, "acme", "owner@acme.test", f"guess-{len(codes)}").status
                  for _ in range(4)]  # fmt: skip
        assert login(attacker, "beta", "owner@beta.test", BETA_PASSWORD).status == 302
        forget_session(attacker)
        if 429 in codes:
            break
    assert 429 in codes, codes
    # The owner's own browser still gets in, during the attack.
    forget_session(site["owner"])
    assert login(site["owner"], "acme", "owner@acme.test", OWNER_PASSWORD).status == 302


def test_one_wrong_attempt_every_thirty_seconds_does_not_lock_the_victim_out(
    site: dict[str, Any],
) -> None:
    password = "Victim-pass-2026!"
    victim = new_member(site, password=password)
    own = Browser(site["port"], source="127.0.0.5")
    assert login(own, "acme", victim["login"], password).status == 302
    forget_session(own)
    attacker = Browser(site["port"], source="127.0.0.6")
    waits = []
    for i in range(12):
        r = login(attacker, "acme", victim["login"], f"wrong-{i}")
        if r.status == 429:
            waits.append(int(r.headers["Retry-After"]))
    # Early attempts are refused unheard: they never push the pause further.
    assert waits and all(b <= a for a, b in itertools.pairwise(waits)), waits
    assert max(waits) <= 15 * 60, waits
    # The victim's own browser (a known device) still logs in.
    assert login(own, "acme", victim["login"], password).status == 302


# --- links and tokens -------------------------------------------------------------------


def reset_link(site: dict[str, Any], address: str, source: str) -> str:
    before = len(mails_to(site, address))
    r = Browser(site["port"], source=source).post_form(
        "/o/acme/password/reset/", {"identifier": address}
    )
    assert r.status == 200, r.status
    return link_in(wait_for_mails(site, address, before + 1)[-1])


def link_works(site: dict[str, Any], link: str, source: str) -> bool:
    browser = Browser(site["port"], source=source)
    path = "/" + link.split("/", 3)[3]
    page = browser.request("GET", path)
    if page.status != 200 or "csrfmiddlewaretoken" not in page.text:
        return False
    new = "Taken-over-2026!" + uuid.uuid4().hex[:4]
    r = browser.post_form(
        path, {"first_name": "X", "last_name": "Y", "new_password1": new, "new_password2": new}
    )
    return r.status == 302


def test_a_reset_link_issued_before_a_password_change_no_longer_sets_the_password(
    site: dict[str, Any],
) -> None:
    password = "First-pass-2026!"
    member = new_member(site, password=password)
    link = reset_link(site, member["email"], "127.0.0.7")
    browser = Browser(site["port"], source="127.0.0.8")
    assert login(browser, "acme", member["login"], password).status == 302
    new = "Second-pass-2026!"
    r = browser.post_form(
        "/o/acme/password/change/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert r.status == 302, r.text[:300]
    assert not link_works(site, link, "127.0.0.9")


def test_a_reset_link_mailed_to_the_old_address_dies_with_an_email_change(
    site: dict[str, Any],
) -> None:
    member = new_member(site, password="First-pass-2026!")
    link = reset_link(site, member["email"], "127.0.0.10")
    r = call(site, "PATCH", f"/api/v1/members/{member['id']}", {"email": "moved@acme.test"})
    assert r.status == 200, r.text
    assert not link_works(site, link, "127.0.0.11")


def admin_token(site: dict[str, Any], source: str) -> tuple[dict[str, Any], str]:
    password = "Admin-pass-2026!"
    admin = new_member(site, password=password, roles=["admin"])
    browser = Browser(site["port"], source=source)
    session_in(browser, admin["login"], password)
    page = browser.post_form("/o/acme/tokens/", {"name": "script", "scopes": "api:read"})
    match = re.search(r"eqp_[A-Za-z0-9_-]{20,}", page.text)
    assert match, page.text[-1500:]
    assert call(site, "GET", "/api/v1/members?limit=1", token=match[0]).status == 200
    return admin, match[0]


def test_a_deactivated_admins_api_token_stays_dead_after_reactivation(
    site: dict[str, Any],
) -> None:
    admin, token = admin_token(site, "127.0.0.12")
    assert call(site, "POST", f"/api/v1/members/{admin['id']}/deactivate", {}).status < 300
    assert call(site, "POST", f"/api/v1/members/{admin['id']}/reactivate", {}).status < 300
    assert call(site, "GET", "/api/v1/members?limit=1", token=token).status == 401


def test_a_demoted_admins_api_token_stops_authenticating(site: dict[str, Any]) -> None:
    admin, token = admin_token(site, "127.0.0.13")
    r = call(site, "PUT", f"/api/v1/members/{admin['id']}/roles", {"roles": ["member"]})
    assert r.status == 200, r.text
    assert call(site, "GET", "/api/v1/members?limit=1", token=token).status == 401


# --- enumeration and flooding -----------------------------------------------------------


def test_a_reset_request_takes_the_same_time_whether_the_account_exists(
    site: dict[str, Any],
) -> None:
    browser = Browser(site["port"], source="127.0.0.14")
    page = browser.request("GET", "/o/acme/password/reset/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]  # type: ignore[index]

    def timed(identifier: str) -> float:
        start = time.perf_counter()
        r = browser.request("POST", "/o/acme/password/reset/",
                            {"identifier": identifier, "csrfmiddlewaretoken": csrf})  # fmt: skip
        assert r.status == 200
        return time.perf_counter() - start

    existing, missing = [], []
    for i in range(30):
        # Alternate which goes first, so that a busy machine slows both alike.
        pair = [("owner@acme.test", existing), (f"nobody-{i}@acme.test", missing)]
        for identifier, times in pair[:: 1 if i % 2 else -1]:
            times.append(timed(identifier) * 1000)
    a, b = statistics.median(existing), statistics.median(missing)
    gap = statistics.median(x - y for x, y in zip(existing, missing, strict=True))
    print(f"reset medians: existing {a:.1f} ms, missing {b:.1f} ms, median gap {gap:+.1f} ms")
    assert abs(gap) <= max(3.0, 0.25 * min(a, b)), (a, b, gap)


def test_reset_mails_to_one_address_are_limited(site: dict[str, Any]) -> None:
    member = new_member(site)
    for i in range(12):
        Browser(site["port"], source=f"127.0.1.{i + 1}").post_form(
            "/o/acme/password/reset/", {"identifier": member["email"]}
        )
    time.sleep(3)
    sent = len(mails_to(site, member["email"]))
    assert 1 <= sent <= 6, sent


# --- mail webhooks ----------------------------------------------------------------------


def mailgun(site: dict[str, Any], timestamp: int, token: str, event: str) -> int:
    signature = hmac.new(
        SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    body = {
        "signature": {"timestamp": str(timestamp), "token": token, "signature": signature},
        "event-data": {
            "event": event, "timestamp": timestamp, "id": uuid.uuid4().hex,
            "recipient": "someone@acme.test", "message": {"headers": {"message-id": "x@y"}},
        },
    }  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=15)
    conn.request("POST", "/hooks/mail/mailgun/tracking/", body=json.dumps(body),
                 headers={"Content-Type": "application/json"})  # fmt: skip
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_mailgun_signature_seven_days_old_is_refused(site: dict[str, Any]) -> None:
    old = int(time.time()) - 7 * 24 * 3600
    assert 400 <= mailgun(site, old, uuid.uuid4().hex, "delivered") < 500


def test_a_captured_mailgun_signature_does_not_authenticate_a_new_body(
    site: dict[str, Any],
) -> None:
    now, token = int(time.time()), uuid.uuid4().hex
    assert mailgun(site, now, token, "delivered") == 200
    assert 400 <= mailgun(site, now, token, "failed") < 500


# --- no 500 anywhere in the console ------------------------------------------------------


def crawl(browser: Browser, start: str = "/o/acme/", limit: int = 80) -> dict[str, int]:
    seen: dict[str, int] = {}
    todo = [start]
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen:
            continue
        r = browser.request("GET", path)
        seen[path] = r.status
        for href in re.findall(r'href="(/o/acme/[^"#]*)"', r.text):
            href = href.replace("&amp;", "&")
            if "logout" not in href and href not in seen:
                todo.append(href)
    return seen


def test_no_console_page_answers_500_to_a_member_an_admin_or_the_owner(
    site: dict[str, Any],
) -> None:
    password = "Crawler-pass-2026!"
    browsers = {"owner": site["owner"]}
    for role, roles in (("member", ["member"]), ("admin", ["admin"])):
        who = new_member(site, password=password, roles=roles)
        browsers[role] = Browser(site["port"], source="127.0.0.20")
        session_in(browsers[role], who["login"], password)
    for role, browser in browsers.items():
        broken = {p: s for p, s in crawl(browser).items() if s >= 500}
        assert not broken, (role, broken)


def test_a_neutralised_cell_survives_an_export_then_import_round_trip(site: dict[str, Any]) -> None:
    member = new_member(site, first_name="'=already")
    assert member["first_name"] == "'=already"
    export = call(site, "GET", "/api/v1/exports/members?format=csv")
    assert export.status == 200, export.text[:300]
    r = preview(site, "export.csv", export.text.encode("utf-8"))
    assert r.status == 200, r.text[:300]
    report = json.loads(r.text)
    mine = [c for c in report["changes"] if c["login"] == member["login"]]
    assert mine == [], mine
    assert report["errors"] == [], report["errors"]


AGE_SESSION = """
import sys, django
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from equipage.accounts.sessions import SEEN, STARTED
s = SessionStore(session_key=sys.argv[1])
s[SEEN] -= int(sys.argv[2]) * 60
s[STARTED] -= int(sys.argv[2]) * 60
s.save()
"""


def test_a_session_left_idle_past_the_organizations_limit_is_over(site: dict[str, Any]) -> None:
    password = "Idle-pass-2026!"
    member = new_member(site, password=password)
    browser = Browser(site["port"], source="127.0.0.23")
    session_in(browser, member["login"], password)
    assert browser.request("GET", "/o/acme/me/").status == 200
    # The limit plus one minute pass without a request (the session's stamps are moved back).
    limit = query(site["env"], "SELECT session_idle_minutes FROM organizations_organization "
                  "WHERE slug = 'acme'")[0][0]  # fmt: skip
    env = {**site["env"], "DJANGO_SETTINGS_MODULE": "equipage.settings"}
    done = subprocess.run(
        [sys.executable, "-c", AGE_SESSION, browser.cookies["sessionid"], str(limit + 1)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    r = browser.request("GET", "/o/acme/me/")
    assert r.status == 302 and "/login" in (r.headers["Location"] or ""), r.status


# --- no 500 on hostile URLs and bodies -------------------------------------------------


HOSTILE_PAGES = [
    "/o/acme/groups/99999999999999999999/",
    "/o/acme/members/99999999999999999999/",
    "/o/acme/members?q=%ED%A0%80",
    "/o/acme/members?q=%FF",
    "/o/acme/members?page=abc",
    "/o/acme/members?page=99999999999999999999",
    "/o/acme/members?group=99999999999999999999",
    "/o/acme/members?state=%00",
    "/o/acme/members?sort=%00",
    "/o/acme/members?label=%00",
    "/o/acme/members/count?q=%00",
    "/o/acme/tokens/99999999999999999999/revoke",
    "/o/acme/webhooks/99999999999999999999/",
    "/o/acme/ownership/99999999999999999999/",
    "/o/acme/members?role=%00&group=%00",
    "/o/acme/password/set/%00/",
    "/o/acme/audit/?q=%00",
    "/o/acme/audit?q=%00&actor=%00",
    "/o/%00/login",
]
HOSTILE_API = [
    "/api/v1/members/99999999999999999999",
    "/api/v1/members?cursor=%00",
    "/api/v1/members?cursor=abc",
    "/api/v1/members?group=99999999999999999999",
    "/api/v1/members?group=%00",
    "/api/v1/members?label=%00",
    "/api/v1/groups/99999999999999999999",
    "/api/v1/audit-events?cursor=zzz",
    "/api/v1/audit-events?actor=%00",
    "/api/v1/imports/99999999999999999999",
    "/api/v1/members?search=%ED%A0%80",
]
HOSTILE_SCIM = [
    "/scim/v2/Users/99999999999999999999",
    "/scim/v2/Users/%00",
    "/scim/v2/Groups/%00",
    "/scim/v2/Users?startIndex=99999999999999999999",
    "/scim/v2/Users?count=99999999999999999999",
    "/scim/v2/Users?filter=emails%5Bvalue%20eq%20%22%00%22%5D",
    "/scim/v2/Groups?filter=displayName%20eq%20%22%00%22",
    "/scim/v2/Users?filter=externalId%20eq%20%22%00%22",
    "/scim/v2/Users?filter=id%20eq%20%2299999999999999999999%22",
]


def test_hostile_urls_and_bodies_never_answer_500(site: dict[str, Any]) -> None:
    """NUL, ids past 2^63, invalid UTF-8 and garbage cursors on the console, API and SCIM.

    Found by this replay: a NUL in a SCIM id (500, HTML: it reached a Location
    header), a SCIM startIndex past 2^63 and, on PostgreSQL, a NUL in an API
    filter or a SCIM userName (500).
    """
    bad = {}
    for p in HOSTILE_PAGES:
        r = site["owner"].request("GET", p)
        if r.status >= 500:
            bad[p] = r.status
    for p in HOSTILE_API:
        r = call(site, "GET", p)
        if r.status >= 500:
            bad[p] = (r.status, r.text[:100])
    for p in HOSTILE_SCIM:
        r = call(site, "GET", p, token=site["scim"])
        if r.status >= 500:
            bad[p] = (r.status, r.text[:100])
    for body in (
        {"first_name": "a\x00b", "last_name": "x"},
        {"first_name": "A", "last_name": "B", "email": "a\x00@x.t"},
        {"first_name": "A", "last_name": "B", "login": "a\x00b"},
        {"first_name": "A", "last_name": "B", "group_ids": [99999999999999999999]},
    ):
        r = call(site, "POST", "/api/v1/members", body)
        if r.status >= 500:
            bad[str(body)] = (r.status, r.text[:100])
    r = call(site, "POST", "/api/v1/groups", {"name": "a\x00b"})
    if r.status >= 500:
        bad["group nul"] = r.status
    r = call(
        site,
        "POST",
        "/scim/v2/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a\x00b"},
        token=site["scim"],
        headers={"Content-Type": "application/scim+json"},
    )
    if r.status >= 500:
        bad["scim nul"] = r.status
    r = call(
        site,
        "POST",
        "/scim/v2/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "a\x00b"},
        token=site["scim"],
        headers={"Content-Type": "application/scim+json"},
    )
    if r.status >= 500:
        bad["scim group nul"] = r.status
    r = Browser(site["port"], source="127.0.3.1").post_form(
        "/o/acme/login", {"identifier": "a\x00b", "password": "x\x00"}
    )
    if r.status >= 500:
        bad["login nul"] = r.status
    r = Browser(site["port"], source="127.0.3.2").post_form(
        "/o/acme/password/reset/", {"identifier": "a\x00b"}
    )
    if r.status >= 500:
        bad["reset nul"] = r.status
    assert not bad, bad
    # A NUL in an API or SCIM URL is a 400 in the reader's JSON.
    for path, token in (
        ("/api/v1/members?label=%00", site["api"]),
        ("/scim/v2/Users/%00", site["scim"]),
    ):
        r = call(site, "GET", path, token=token)
        assert r.status == 400 and "json" in (r.headers["Content-Type"] or ""), (path, r.status)
    r = call(site, "GET", "/scim/v2/Users?startIndex=99999999999999999999", token=site["scim"])
    assert r.status == 200 and json.loads(r.text)["Resources"] == [], r.text[:300]


def test_nul_and_out_of_range_values_in_bodies_never_answer_500(site: dict[str, Any]) -> None:
    """NUL in every text field of the API, SCIM, the import and console forms (PostgreSQL)."""
    bad = {}
    m = new_member(site)
    g = json.loads(call(site, "POST", "/api/v1/groups", {"name": "probe-g"}).text)
    cases = [
        ("POST", "/api/v1/labels", {"name": "a\x00b"}),
        ("POST", "/api/v1/custom-fields", {"name": "a\x00b"}),
        ("PATCH", f"/api/v1/groups/{g['id']}", {"name": "a\x00b"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"first_name": "a\x00b"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"email": "a\x00b@x.t"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"login": "a\x00b"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"external_id": "a\x00b"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"phone": "a\x00b"}),
        ("PATCH", f"/api/v1/members/{m['id']}", {"job_title": "a\x00b"}),
        ("POST", "/api/v1/members", {"first_name": "A", "last_name": "B", "external_id": "x\x00"}),
        ("POST", "/api/v1/members", {"first_name": "A", "last_name": "B", "phone": "x\x00"}),
        (
            "POST",
            "/api/v1/members",
            {"first_name": "A", "last_name": "B", "password": "Abcdefgh-123\x00"},
        ),
        ("POST", "/api/v1/invitations", {"emails": ["a\x00@x.t"]}),
        ("POST", f"/api/v1/groups/{g['id']}/members", {"member_ids": [99999999999999999999]}),
        ("PUT", f"/api/v1/members/{m['id']}/roles", {"roles": ["a\x00"]}),
    ]
    for method, path, body in cases:
        r = call(site, method, path, body)
        if r.status >= 500:
            bad[f"{method} {path} {body}"] = (r.status, r.text[:100])
    r = call(
        site,
        "POST",
        "/api/v1/members",
        raw=b'{"first_name": "\xff", "last_name": "x"}',
        headers={"Content-Type": "application/json"},
    )
    if r.status >= 500:
        bad["bad utf8 json"] = r.status
    scim_user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "probe@acme.test",
        "externalId": "e\x00",
        "name": {"givenName": "P", "familyName": "Q"},
        "emails": [{"value": "p\x00@acme.test"}],
    }
    r = call(
        site,
        "POST",
        "/scim/v2/Users",
        scim_user,
        token=site["scim"],
        headers={"Content-Type": "application/scim+json"},
    )
    if r.status >= 500:
        bad["scim ext nul"] = (r.status, r.text[:200])
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "a\x00"}],
    }
    r = call(
        site,
        "PATCH",
        f"/scim/v2/Users/{m['id']}",
        patch,
        token=site["scim"],
        headers={"Content-Type": "application/scim+json"},
    )
    if r.status >= 500:
        bad["scim patch nul"] = (r.status, r.text[:200])
    patch["Operations"][0]["path"] = "externalId"
    r = call(
        site,
        "PATCH",
        f"/scim/v2/Users/{m['id']}",
        patch,
        token=site["scim"],
        headers={"Content-Type": "application/scim+json"},
    )
    if r.status >= 500:
        bad["scim patch ext nul"] = (r.status, r.text[:200])
    data = csv_bytes([["x\x00y", "Doe", "Jo", "jo@acme.test", "", "Active"]], header=EN_HEADER)
    r = preview(site, "r.csv", data)
    if r.status >= 500:
        bad["import nul"] = r.status
    o = site["owner"]
    for path, form in (
        ("/o/acme/groups/", {"name": "a\x00b"}),
        ("/o/acme/labels/", {"name": "a\x00b", "color": "#000000"}),
    ):
        r = o.post_form(path, form)
        if r.status >= 500:
            bad[path] = r.status
    assert not bad, bad
