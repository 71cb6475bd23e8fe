"""The client secret at rest: sealed with a key derived from the instance's secret key."""

from __future__ import annotations

from typing import Any

from equipage.sso.secrets import decrypt_secret, encrypt_secret


def test_secret_round_trips_and_is_not_stored_in_clear() -> None:
    sealed = encrypt_secret("client-secret-value")
    assert "client-secret-value" not in sealed
    assert decrypt_secret(sealed) == "client-secret-value"
    assert encrypt_secret("client-secret-value") != sealed  # a fresh IV each time


def test_secret_sealed_under_another_secret_key_is_unreadable(settings: Any) -> None:
    sealed = encrypt_secret("client-secret-value")
    settings.SECRET_KEY = "another-instance-secret-key"
    assert decrypt_secret(sealed) is None
    assert decrypt_secret("not a token") is None
