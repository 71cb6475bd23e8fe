"""Against a running ``equipage serve``: scim2-tester over HTTP and schemathesis on the API.

The organization and the tokens are made with the CLI, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import cli, create_acme, free_port, start_node, stop, wait_http
from tests.scim.replays import USER, Send, entra, okta, replay


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("live")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["EQUIPAGE_DATA_DIR"] = str(Path(data) / "data")
    # Let schemathesis reach every operation instead of mostly meeting the rate limit.
    env["EQUIPAGE_API_RATE_LIMIT"] = "1000000"
    create_acme(env)
    scim = cli(env, "token", "create", "--org", "acme", "--scope", "scim").strip().splitlines()[-1]
    api = cli(env, "token", "create", "--org", "acme", "--scope", "api").strip().splitlines()[-1]
    port = free_port()
    server = start_node(env, port, worker=True)
    try:
        wait_http(port, "/scim/v2/ServiceProviderConfig")
        yield {"base": f"http://127.0.0.1:{port}", "scim": scim, "api": api}
    finally:
        stop(server)


def http_relay(base: str) -> Any:
    """Return a WSGI app that forwards every request over real HTTP to ``base``.

    scim2-client's HTTP engine needs httpx2, which is not installed; its WSGI
    engine over this relay sends the very same requests through the network.
    """
    import urllib.error

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        url = (
            base
            + environ["PATH_INFO"]
            + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        )
        headers = {k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        request = urllib.request.Request(
            url, data=body, headers=headers, method=environ["REQUEST_METHOD"]
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, reply_headers, data = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as exc:
            status, reply_headers, data = exc.code, exc.headers, exc.read()
        hop = {"connection", "transfer-encoding", "keep-alive"}
        start_response(
            f"{status} X", [(k, v) for k, v in reply_headers.items() if k.lower() not in hop]
        )
        return [data]

    return app


def http_sender(base: str, token: str) -> Send:
    """Send a replay step over real HTTP to the running server."""
    import json
    import urllib.error
    import urllib.parse

    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        quoted = urllib.parse.quote(path, safe="/?&=%")
        request = urllib.request.Request(
            f"{base}/scim/v2{quoted}",
            data=None if body is None else json.dumps(body).encode(),
            headers=sent | headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, data = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        return status, json.loads(data) if data else None

    return send


def test_okta_spec_test_and_provisioning_replay_over_http(live: dict[str, Any]) -> None:
    """Okta's SPEC test first reads the owner the CLI created, who has no last name yet."""
    send = http_sender(live["base"], live["scim"])
    owner = replay(send, okta.SPEC_TEST)["first"]
    saved = replay(send, okta.USERS)
    replay(send, okta.GROUPS, {**saved, "other": owner})


def console_login(base: str, slug: str, identifier: str, password: str) -> tuple[int, str]:
    """Log in through the console's real form (CSRF cookie and token); return status and page."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/o/{slug}/login", timeout=30).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, page[:500]
    form = {"csrfmiddlewaretoken": match.group(1), "identifier": identifier, "password": password}
    request = urllib.request.Request(
        f"{base}/o/{slug}/login",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": f"{base}/o/{slug}/login"},
    )
    try:
        with opener.open(request, timeout=30) as reply:
            return int(reply.status), reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_okta_placeholder_password_does_not_log_in_to_the_running_console(
    live: dict[str, Any],
) -> None:
    send = http_sender(live["base"], live["scim"])
    body = {
        **okta.CREATE_USER,
        "userName": "placeholder@okta.local",
        "emails": [{"primary": True, "value": "placeholder@okta.local", "type": "work"}],
        "externalId": "00uPlace",
    }
    status, created = send("POST", "/Users", body, {})
    assert status == 201, created
    wrong = console_login(live["base"], "acme", "placeholder@okta.local", "wrong-one")
    placeholder = console_login(
        live["base"], "acme", "placeholder@okta.local", okta.PLACEHOLDER_PASSWORD
    )
    # Refused like any wrong password: the form again (not a CSRF 403, not a redirect in).
    assert wrong[0] == placeholder[0] == 200
    assert 'name="password"' in placeholder[1] and "Wrong login or password" in placeholder[1]


def test_entra_replay_with_and_without_the_flag_over_http(live: dict[str, Any]) -> None:
    send = http_sender(live["base"], live["scim"])
    people = {}
    for name in ("boss", "peer"):
        status, body = send(
            "POST",
            "/Users",
            {
                "schemas": [USER],
                "userName": f"{name}@entra.test",
                "name": {"givenName": name, "familyName": "Entra"},
            },
            {},
        )
        assert status == 201, body
        people[name] = body["id"]
    for steps in (entra.USERS_DEFAULT, entra.GROUPS_DEFAULT, entra.USERS_FLAG, entra.GROUPS_FLAG):
        replay(send, steps, people)
    replay(send, entra.USER_WITH_EXTENSIONS, people)


def test_cli_token_passes_every_scim2_tester_check_over_http(live: dict[str, Any]) -> None:
    from scim2_client.engines.wsgi import WSGISCIMClient
    from scim2_tester import Status, check_server

    client = WSGISCIMClient(
        http_relay(live["base"]),
        base_url=f"{live['base']}/scim/v2",
        headers={"Authorization": f"Bearer {live['scim']}"},
    )
    results = check_server(client)
    failed = [
        f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status != Status.SUCCESS
    ]
    assert not failed, "\n".join(failed)
    assert len(results) >= 130


def test_schemathesis_finds_no_server_error_and_responses_match_the_schema(
    live: dict[str, Any], tmp_path: Path
) -> None:
    """Run schemathesis from a temporary directory so its caches never land in the repo."""
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live['base']}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples",
            "8",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-deterministic",
            "-H",
            f"Authorization: Bearer {live['api']}",
            "--suppress-health-check",
            "all",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
