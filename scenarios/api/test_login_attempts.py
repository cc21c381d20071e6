"""IAM-13: repeated wrong passwords are slowed or stopped, on every way in.

For a fresh account of the scenario's own (never a shared test account), 20 wrong passwords from
this one address on each way the suite lets it sign in: each distinct server behind its protocols
(WebDAV, CalDAV, CardDAV) and its web page's own sign-in (the admin module's ``web_login``; on a
learning platform without one, its sign-in API). Each attempt's status and time are kept; the
scenario then tries the right password once. A way in counts as protected when the attempts are
slowed (the last ten take at least 0.5 s each, and three times the right password's time) or
stopped (429, 423, 503, or the right password refused afterwards: a temporary lock). Bounded: at
most 20 attempts and 60 s per way in, against the suite's declared endpoints only.

The suite is judged as shipped; a security default the harness changes (suite.yaml's
harness_changes) is named in the verdict.
"""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlsplit

import pytest

from poc import privacy
from poc.privacy import Accounts, NeedsLauncher, client, note, write_json
from poc.protocols._http import Session
from poc.verdicts import unsupported

ATTEMPTS = 20
BOUND_S = 60.0
SLOW_S = 0.5
BLOCKED = (423, 429, 503)


def _dav_try(url: str, username: str, password: str) -> int:
    with Session(username, password, close_connections=True, raise_5xx=False) as s:
        return s.request("PROPFIND", url, headers={"Depth": "0"}).status_code


def _ways_in(dep, account, admin) -> dict:
    """name -> try(password) -> HTTP status (or 200/401 where the adapter says only yes or no)."""
    ways, servers = {}, {}
    for cap in privacy.dav_capabilities(dep.suite):
        url = dep.url_for(cap, account)
        servers.setdefault(urlsplit(url).netloc, []).append((cap, url))
    for netloc, caps in servers.items():
        names = "/".join(dep.suite.capabilities[c]["protocol"] for c, _ in caps)
        url = caps[0][1]
        ways[f"{names} ({netloc})"] = lambda pw, u=url: _dav_try(u, account.username, pw)
    if admin.has("web_login"):
        ways["the web page's sign-in"] = lambda pw: admin.call("web_login", account.username, pw).status
    elif "learning" in dep.suite.capabilities:
        ways["the learning platform's sign-in"] = \
            lambda pw: 200 if privacy.signs_in(dep, "learning", account, pw) else 401
    return ways


def _hammer(try_in, right: str) -> dict:
    t0 = time.monotonic()
    first = try_in(right)
    ok_s = time.monotonic() - t0
    attempts = []
    start = time.monotonic()
    for i in range(ATTEMPTS):
        if time.monotonic() - start > BOUND_S:
            break
        t = time.monotonic()
        status = try_in(f"forkert-{i}-kode")
        attempts.append({"n": i + 1, "status": status, "seconds": round(time.monotonic() - t, 3)})
    t = time.monotonic()
    after = try_in(right)
    after_s = time.monotonic() - t
    last = [a["seconds"] for a in attempts[-10:]]
    median = statistics.median(last) if last else 0.0
    accepted = [a["n"] for a in attempts if 200 <= a["status"] < 300]
    blocked = [a["n"] for a in attempts if a["status"] in BLOCKED]
    slowed = median >= SLOW_S and median >= 3 * max(ok_s, 0.01)
    locked = not (200 <= after < 300)
    return {"right_before": first, "right_before_s": round(ok_s, 3), "attempts": attempts,
            "made": len(attempts), "total_s": round(time.monotonic() - start, 2), "median_last10_s": round(median, 3),
            "wrong_accepted": accepted, "blocked_at": blocked, "slowed": slowed,
            "right_after": after, "right_after_s": round(after_s, 3), "locked_after": locked,
            "protected": bool(slowed or blocked or locked) and not accepted}


def _describe(name: str, r: dict) -> str:
    statuses = sorted({a["status"] for a in r["attempts"]})
    text = (f"{name}: {r['made']} wrong passwords in {r['total_s']:.1f} s, answered {'/'.join(map(str, statuses))}, "
            f"{r['median_last10_s']:.2f} s each (median of the last 10; the right password took "
            f"{r['right_before_s']:.2f} s)")
    if r["wrong_accepted"]:
        text += f", wrong passwords ACCEPTED (attempts {r['wrong_accepted'][:5]})"
    if r["blocked_at"]:
        text += f", blocked from attempt {r['blocked_at'][0]}"
    text += "; the right password afterwards: " + ("refused (locked for now)" if r["locked_after"]
                                                    else f"accepted (HTTP {r['right_after']})")
    return text


@pytest.mark.poc_last  # a suite that slows down this address afterwards must not slow the other scenarios
@pytest.mark.requirement("IAM-13")
def test_repeated_failed_sign_ins_are_slowed_or_stopped(suite_deployment, evidence, request):
    dep = suite_deployment
    accounts = Accounts(dep, lambda cap, role: client(dep, cap, dep.accounts[role]))
    accounts.require()
    admin = privacy.suite_admin(dep)
    results, notes = {}, []
    try:
        try:
            account = accounts.create("pupil")
        except NeedsLauncher as exc:
            pytest.skip(str(exc))
        ways = _ways_in(dep, account, admin)
        if not ways:
            unsupported(f"{dep.suite.name} offers no way to sign in that the harness can try")
        for name, try_in in ways.items():
            results[name] = _hammer(try_in, account.password)
            if 1 in results[name]["wrong_accepted"]:  # a pupil gets in with any password: try a teacher there
                notes.append(f"{name}: the pupil got in with the wrong passwords (see IAM-08), so a fresh teacher "
                             "account was tried there as well; the verdict rests on the teacher's")
                teacher = accounts.create("teacher")
                results[f"{name}, a teacher's account"] = _hammer(_ways_in(dep, teacher, admin)[name], teacher.password)
                results[name]["protected"] = None  # shown, not judged: IAM-08 judges it
    finally:
        accounts.cleanup()
    changes = privacy.harness_changes(dep.suite.config, "IAM-13")
    write_json(evidence, "login-attempts.json", {"results": results, "notes": notes, "harness_changes": changes})
    said = "; ".join(_describe(n, r) for n, r in results.items()) + ("; " + "; ".join(notes) if notes else "")
    said += privacy.changes_note(dep.suite, "IAM-13") + privacy.quirk_notes(dep.suite, "auth.login-throttling")
    bad = [n for n, r in results.items() if r["protected"] is False]
    if bad:
        pytest.fail(f"neither slowed nor stopped on {', '.join(bad)}: {said}", pytrace=False)
    note(request, said)
