"""A status endpoint that monitoring can call (OPS-01)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.requirement("OPS-01")
def test_status_is_healthy_machine_readable_and_discreet(status_client, evidence):
    response = status_client.fetch()
    assert response.status_code == 200, f"the status endpoint answered HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        pytest.fail(f"the status answer is not JSON: {response.text[:120]!r}")
    (evidence / "status.json").write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    healthy, _ = status_client.healthy()
    assert healthy, f"the status answer says the service is not healthy: {body}"
    leaks = status_client.sensitive(body)
    assert not leaks, f"the status answer reveals: {', '.join(leaks)}"
