"""Ids no row can have are refused cleanly (422 or 404), never a server error.

Found by schemathesis: a 64-bit-overflowing id in a body list made SQLite raise.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from equipage.accounts.bulk import unique_ids
from equipage.groups.actions import label_create

HUGE = 45374283280640753664


def call(token: str, method: str, path: str, body: Any = None) -> Any:
    c = Client()
    kwargs = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    return (
        getattr(c, method)(path, body, **kwargs)
        if body is not None
        else getattr(c, method)(path, **kwargs)
    )


def test_label_members_with_out_of_range_ids_are_a_422(
    org: Any, owner: Any, write_token: str
) -> None:
    label = label_create(actor=owner, organization=org, name="Télétravail")
    r = call(
        write_token,
        "post",
        f"/api/v1/labels/{label.pk}/members/remove",
        {"member_ids": [-HUGE, 365]},
    )
    assert r.status_code == 422
    assert r["Content-Type"].startswith("application/problem+json")


def test_out_of_range_path_id_is_a_404(org: Any, write_token: str) -> None:
    r = call(write_token, "get", f"/api/v1/members/{HUGE}")
    assert r.status_code in (404, 422)


def test_bulk_actions_ignore_ids_no_row_can_have() -> None:
    assert unique_ids([3, -HUGE, HUGE, 0, 3, 7]) == [3, 7]


def test_member_list_with_a_non_ascii_digit_group_is_not_a_server_error(
    org: Any, write_token: str
) -> None:
    r = call(write_token, "get", "/api/v1/members?group=%C2%B3")
    assert r.status_code == 200
    assert r.json()["items"] == []  # no group is named "³"
