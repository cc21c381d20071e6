"""IAM-11: a leaver's access ends at once.

A fresh pupil of the scenario's own signs in everywhere the suite lets a pupil in: its password on
every protocol (WebDAV, CalDAV, CardDAV, the learning platform) and a signed-in web session where the
suite's web page keeps one (its admin module's ``web_login``: SOGo's session cookie, Kolibri's).
The account is then closed through the suite's provisioning (or, where the suite has no
provisioning API, the way its administrator closes it, which makes the verdict `unsupported` with
the figures), and the scenario polls every surface until it is refused, for at most 30 s: the
seconds each took are the evidence. A password still accepted or a session still alive at the bound
is named.
"""

from __future__ import annotations

import time

import pytest

from poc import privacy
from poc.privacy import Accounts, NeedsLauncher, client, write_json

BOUND_S = 30.0
INTERVAL_S = 0.5


@pytest.mark.requirement("IAM-11")
def test_leaver_loses_access_at_once(suite_deployment, evidence, request):
    dep = suite_deployment
    accounts = Accounts(dep, lambda cap, role: client(dep, cap, dep.accounts[role]))
    accounts.require()
    try:
        account = accounts.create("pupil")
    except NeedsLauncher as exc:
        pytest.skip(str(exc))
    admin = privacy.suite_admin(dep)
    surfaces, notes = {}, []
    web = None
    try:
        for cap in privacy.sign_in_capabilities(dep.suite):
            protocol = dep.suite.capabilities[cap]["protocol"]
            check = (lambda c=cap: privacy.signs_in(dep, c, account))
            if check():
                surfaces[f"its password on {cap} ({protocol})"] = check
            else:
                notes.append(f"{cap}: the fresh account could not sign in even before it was closed")
        if admin.has("web_login"):
            web = admin.call("web_login", account.username, account.password)
            if web.signed_in and web.alive():
                surfaces["its signed-in web session (the next request)"] = web.alive
            else:
                notes.append(f"the web sign-in answered {web.status} before the account was closed")
        else:
            notes.append("no web session to end: the suite's pages send the password with every request (HTTP "
                         "Basic), so the password checks cover them")
        if not surfaces:
            raise RuntimeError("the fresh account could not sign in anywhere: nothing to measure")
        t0 = time.monotonic()
        try:
            accounts.remove(account.username)
        except NeedsLauncher as exc:
            pytest.skip(str(exc))
        removal_s = time.monotonic() - t0
        ended, rounds = {}, 0
        start = time.monotonic()
        while len(ended) < len(surfaces) and time.monotonic() - start < BOUND_S:
            rounds += 1
            for name, still_in in surfaces.items():
                sent = time.monotonic() - start  # when the refused request went out (a refusal may be delayed)
                if name not in ended and not still_in():
                    ended[name] = round(sent, 2)
            if len(ended) < len(surfaces):
                time.sleep(INTERVAL_S)
        left = [name for name in surfaces if name not in ended]
        how = accounts.how
        write_json(evidence, "leaver.json", {"account_closed_through": how, "removal_took_s": round(removal_s, 2),
                                             "ended_after_s": ended, "still_working_after_bound": left,
                                             "bound_s": BOUND_S, "poll_rounds": rounds, "notes": notes})
        figures = "; ".join([f"{name}: refused after {s:.1f} s" for name, s in ended.items()]
                            + [f"{name}: still working after {BOUND_S:.0f} s" for name in left])
        way = f"through {how}" if accounts.through_provisioning_api else f"the administrator's way ({how})"
        said = f"closed {way} (that took {removal_s:.1f} s); {figures}" + \
            ("; " + "; ".join(notes) if notes else "")
        if left:
            said += privacy.quirk_notes(dep.suite, "auth.cache")
        said += privacy.quirk_notes(dep.suite, "privacy.soft-delete")  # what becomes of the leaver's data
        privacy.leaver_verdict(request, dep, accounts, said, f"the leaver keeps access: {said}" if left else None)
    finally:
        if web is not None and web.close:
            web.close()
        accounts.cleanup()
