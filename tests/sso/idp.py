"""The tests' real OpenID provider: npm ``oidc-provider`` run by Debian's node on loopback.

Started once per test module. Missing node or the package is a failure, never a skip:
``.ci/run`` installs both.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.live import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider") / "provider.mjs"
PACKAGE = ROOT / ".ci" / "npm" / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID, CLIENT_SECRET = "equipage", "equipage-client-secret"
OTHER_CLIENT_ID, OTHER_CLIENT_SECRET = "other-app", "other-app-secret"
TEST_REDIRECT = "http://testserver/o/acme/sso/callback"


@dataclass(frozen=True)
class Idp:
    issuer: str
    port: int


@contextlib.contextmanager
def running_idp(redirect_uris: list[str]) -> Iterator[Idp]:
    """Run the provider with Equipage's client (``redirect_uris``) and another app's client."""
    node = shutil.which("node")
    assert node, "node is missing: install Debian's nodejs (.ci/run does)"
    assert PACKAGE.exists(), f"oidc-provider is missing ({PACKAGE}): run the npm line of .ci/run"
    port = free_port()
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
        {
            "client_id": OTHER_CLIENT_ID,
            "client_secret": OTHER_CLIENT_SECRET,
            "redirect_uris": ["http://127.0.0.1/other-app/callback"],
        },
    ]
    proc = subprocess.Popen(
        [node, str(SCRIPT)],
        env={"PORT": str(port), "CLIENTS": json.dumps(clients), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == b"ready", f"the OpenID provider did not start ({line!r})"
        yield Idp(issuer=f"http://127.0.0.1:{port}", port=port)
    finally:
        stop(proc)


def sign_in_at_idp(authorize_url: str, subject: str, stop_at: str) -> str:
    """Log in at the provider's own form as ``subject``; return the URL it sends back.

    Follows the provider's redirects until one leaves for ``stop_at`` (the client's
    redirect URI), which is returned unvisited.
    """
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(10):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(stop_at):
                return url
            method, data = "GET", None
            continue
        assert response.status_code == 200, (response.status_code, response.text[:500])
        assert 'name="prompt" value="login"' in response.text, response.text[:500]
        method, data = "POST", {"prompt": "login", "login": subject, "password": "any"}
    raise AssertionError("the provider never sent the browser back")
