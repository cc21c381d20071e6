"""No hand-in is lost (PRF-02: "the error rate is below 1 %, and no hand-in is lost").

A hand-in the suite acknowledged (2xx to the pupil's PUT) must be there afterwards with what the pupil
sent. Each Locust process remembers, per hand-in file, the digest of the last body the suite
acknowledged and of any body sent after it (a PUT that timed out on the pupil's side may still have
been stored), and writes them as it quits (handins-<pid>.json in the stage folder: URLs, usernames and
digests; never a body or a password). After the stage the harness reads every hand-in back as its
pupil and names those missing or holding something else; a stage that lost one fails its level
(poc/load/results.py), whatever its p95.

Every simulated user writes its own files (named by process and user), so two users never overwrite
each other's hand-in, even on the short stage's shared accounts."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

GLOB = "handins-*.json"
THREADS = 8

# in a Locust process: url -> {"user": username, "acked": digest or None, "after": [digests sent since]}
SENT: dict[str, dict] = {}


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def record(url: str, username: str, body: bytes, acknowledged: bool) -> None:
    entry = SENT.setdefault(url, {"user": username, "acked": None, "after": []})
    if acknowledged:
        entry["acked"], entry["after"] = digest(body), []
    else:
        entry["after"].append(digest(body))


def write(folder: str | os.PathLike) -> None:
    if SENT:
        Path(folder, f"handins-{os.getpid()}.json").write_text(json.dumps(SENT), encoding="utf-8")


def verify(folder: Path, passwords: dict[str, str], *, timeout: float = 30.0) -> dict | None:
    """Read back every acknowledged hand-in of the stage; None when the stage handed nothing in."""
    from ..protocols._http import Session

    sent: dict[str, dict] = {}
    for f in sorted(Path(folder).glob(GLOB)):
        try:
            sent.update(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    acked = {url: e for url, e in sent.items() if e.get("acked")}
    if not acked:
        return None if not sent else {"checked": 0, "lost": [], "unreadable": [], "never_acknowledged": len(sent)}
    lost, unreadable = [], []

    def check(item) -> None:
        url, e = item
        password = passwords.get(e["user"])
        if password is None:
            unreadable.append(f"{url} (no password known for {e['user']})")
            return
        try:
            with Session(e["user"], password, raise_5xx=False) as s:
                r = s.get(url, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - named, the stage's own figures stay
            unreadable.append(f"{url} ({type(exc).__name__})")
            return
        if r.status_code != 200:
            lost.append(f"{url} answered {r.status_code} (its pupil's PUT had been acknowledged)")
        elif digest(r.content) not in [e["acked"], *e.get("after", [])]:
            lost.append(f"{url} holds something else than the acknowledged hand-in ({len(r.content):,} bytes)")

    with ThreadPoolExecutor(THREADS) as ex:
        list(ex.map(check, acked.items()))
    return {"checked": len(acked), "lost": sorted(lost)[:50], "lost_count": len(lost),
            "unreadable": sorted(unreadable)[:20], "unreadable_count": len(unreadable)}
