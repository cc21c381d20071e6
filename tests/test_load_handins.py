"""PRF-02's "no hand-in is lost", read back from a real WebDAV server (WsgiDAV on 127.0.0.1): an
acknowledged hand-in that is there passes, one that is gone or holds something else is named as lost,
and a later PUT whose answer the pupil never saw (a time-out) may be what the server holds."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
import yaml

from poc.lifecycle.local import free_port
from poc.load import handins, results

PASSWORD = "Ælev-" + "kode-42"


@pytest.fixture
def dav(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    port = free_port()
    config = {"host": "127.0.0.1", "port": port, "provider_mapping": {"/": str(root)}, "verbose": 1,
              "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
              "simple_dc": {"user_mapping": {"*": {"elev": {"password": PASSWORD}}}}}
    cfg = tmp_path / "wsgidav.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "wsgidav.server.server_cli", "-c", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _put(url, body):
    r = requests.put(url, data=body, auth=("elev", PASSWORD.encode("utf-8")), timeout=10)
    assert r.status_code in (200, 201, 204), r.status_code
    return r


def _sent(folder, entries):
    (folder / "handins-1.json").write_text(json.dumps(entries), encoding="utf-8")


def test_acknowledged_hand_ins_are_read_back_and_losses_named(dav, tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir()
    kept, gone, changed, late = (dav + f"{n}.txt" for n in ("kept", "gone", "changed", "late"))
    for url in (kept, gone, changed, late):
        _put(url, b"Aflevering 1: " + url.encode())
    requests.delete(gone, auth=("elev", PASSWORD.encode()), timeout=10)
    _put(changed, b"something else")
    _put(late, b"Aflevering 2 (the pupil's PUT timed out, the server stored it)")
    d = handins.digest
    _sent(stage, {
        kept: {"user": "elev", "acked": d(b"Aflevering 1: " + kept.encode()), "after": []},
        gone: {"user": "elev", "acked": d(b"Aflevering 1: " + gone.encode()), "after": []},
        changed: {"user": "elev", "acked": d(b"Aflevering 1: " + changed.encode()), "after": []},
        late: {"user": "elev", "acked": d(b"Aflevering 1: " + late.encode()),
               "after": [d(b"Aflevering 2 (the pupil's PUT timed out, the server stored it)")]},
        dav + "never.txt": {"user": "elev", "acked": None, "after": [d(b"x")]},
    })
    out = handins.verify(stage, {"elev": PASSWORD})
    assert out["checked"] == 4 and out["lost_count"] == 2, out
    assert any(gone in x and "answered 404" in x for x in out["lost"]), out
    assert any(changed in x and "something else" in x for x in out["lost"]), out
    summary = {"total": {"requests": 100, "p95_ms": 10.0}, "error_rate": 0.0, "handins": out}
    broken = results.check(summary, {"p95_ms": 2000, "error_rate": 0.01})
    assert broken and "2 of 4 acknowledged hand-ins were lost" in broken[0]


def test_the_locust_side_remembers_the_last_acknowledged_body(tmp_path):
    handins.SENT.clear()
    handins.record("http://x/a.txt", "elev", b"1", True)
    handins.record("http://x/a.txt", "elev", b"2", False)
    handins.record("http://x/b.txt", "elev", b"3", True)
    handins.record("http://x/b.txt", "elev", b"4", True)
    handins.write(tmp_path)
    data = json.loads(next(tmp_path.glob(handins.GLOB)).read_text())
    assert data["http://x/a.txt"] == {"user": "elev", "acked": handins.digest(b"1"), "after": [handins.digest(b"2")]}
    assert data["http://x/b.txt"]["acked"] == handins.digest(b"4") and data["http://x/b.txt"]["after"] == []
    handins.SENT.clear()
