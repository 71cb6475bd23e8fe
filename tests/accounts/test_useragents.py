"""User agents told in a few words for the sessions list (issue #18.4)."""

from __future__ import annotations

import pytest
from django.utils import translation

from equipage.accounts.useragents import device_label, parse_user_agent

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_MAC.replace("Macintosh; Intel Mac OS X 10_15_7", "Windows NT 10.0") + (
    " Edg/131.0.0.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FIREFOX_WINDOWS, ("Firefox", "Windows")),
        (CHROME_MAC, ("Chrome", "macOS")),
        (EDGE_WINDOWS, ("Edge", "Windows")),  # Edge claims to be Chrome and Safari
        (SAFARI_IPHONE, ("Safari", "iPhone")),  # iPhone claims to be a Mac
        (CHROME_ANDROID, ("Chrome", "Android")),  # Android claims to be Linux
        ("", ("", "")),
        ("x" * 5000, ("", "")),
    ],
)
def test_user_agents_are_named_by_browser_and_system(agent: str, expected: tuple[str, str]) -> None:
    assert parse_user_agent(agent) == expected


def test_the_device_is_worded_in_the_readers_language() -> None:
    assert device_label("Firefox", "Windows") == "Firefox on Windows"
    assert device_label("", "") == "Unknown device"
    with translation.override("fr"):
        assert device_label("Firefox", "Windows") == "Firefox sur Windows"
        assert device_label("Safari", "") == "Safari"
