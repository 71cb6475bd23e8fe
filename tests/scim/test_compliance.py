"""scim2-tester against the in-process app: every one of its checks must succeed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_reports_every_check_success_in_process(scim_client: Any) -> None:
    from scim2_tester import Status, check_server

    results = check_server(scim_client)
    failed = [
        f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status != Status.SUCCESS
    ]
    assert not failed, "\n".join(failed)
    assert len(results) >= 130, Counter(r.status.name for r in results)
