"""PRI-05 and PRI-06: all of one pupil's data exported, then deleted.

A fresh pupil of the scenario's own (never a shared test account) gets known data in every
capability the suite offers: a file in a folder and one at the top (WebDAV), an event in a
calendar of its own (CalDAV), a contact in an address book of its own (CardDAV), a class
membership, a hand-in with its grade and comment (learning), and what only the suite has (its admin
module's ``plant``: Kolibri's attendance and sign-in log). What the suite cannot hold is named.

PRI-05 runs the export path the suite declares in ``suite.yaml`` (``privacy.export``): the pupil's
own full download over the standard protocols on the DAV suites (the verdict says so), or the
suite's own export (Kolibri's ``kolibri manage user_info``); every planted item must be in it, and
every exported file in an open format (iCalendar, vCard, JSON, CSV, the files as stored).

PRI-06 then runs the declared deletion path (``privacy.delete``) and checks that nothing is left:
the pupil cannot sign in anywhere, no planted item is reachable by the admin, the teacher or
anonymously, the class memberships are gone, the suite's own API gives nothing (``admin`` module),
and the server's storage holds no row or file naming the pupil or holding a planted text (local
suites). Anything that survives is named.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest

from poc import privacy
from poc.privacy import Accounts, NeedsLauncher, Planted, client, note, write_json
from poc.protocols._http import Session
from poc.verdicts import unsupported


@dataclass
class PupilData:
    account: object
    tag: str
    planted: list
    accounts: Accounts
    learning: privacy.LearningPlant | None = None
    not_offered: list = field(default_factory=list)
    deleted: bool = False
    how_made: str = ""


@pytest.fixture(scope="module")
def pupil_data(suite_deployment):
    dep = suite_deployment
    if not privacy.privacy_config(dep.suite):
        pytest.skip(f"{dep.suite.name}'s suite.yaml declares no export or deletion path (privacy:): not verified here")
    accounts = Accounts(dep, lambda cap, role: client(dep, cap, dep.accounts[role]))
    accounts.require()
    tag = uuid.uuid4().hex[:8]
    try:
        account = accounts.create("pupil")
    except NeedsLauncher as exc:
        pytest.skip(str(exc))
    data = PupilData(account, tag, [], accounts, how_made=accounts.how, not_offered=privacy.not_offered(dep.suite))
    try:
        if accounts.through_provisioning_api:  # the suite itself holds the account and its name
            data.planted.append(Planted("account", f"the pupil's account {account.username} ({account.display_name})",
                                        (account.display_name, account.username)))
        data.planted += privacy.plant_dav(dep, account, tag)
        data.learning = privacy.plant_learning(dep, account, tag)
        data.planted += data.learning.planted
        data.not_offered += data.learning.not_offered
        admin = accounts.admin
        if admin.has("plant"):
            data.planted += admin.call("plant", account, tag, data.learning.classes)
        yield data
    finally:
        if accounts.admin.has("unplant"):  # what the suite's own planting made beside the account (a group)
            try:
                accounts.admin.call("unplant", account, data.planted)
            except Exception:
                pass
        if not data.deleted:
            privacy.remove_planted(account, data.planted)
            accounts.cleanup()
        if data.learning and data.learning.manager is not None:
            for klass in data.learning.classes:
                try:
                    data.learning.manager.delete_class(klass.id)
                except Exception:
                    pass
            data.learning.manager.close()


def _planting_evidence(data: PupilData, evidence) -> None:
    write_json(evidence, "planted.json", {"pupil": data.account.username, "made_through": data.how_made,
                                          "items": [p.record() for p in data.planted],
                                          "not_offered": data.not_offered})


@pytest.mark.requirement("PRI-05")
def test_export_of_all_of_one_pupils_data(pupil_data, suite_deployment, evidence, request):
    dep, data = suite_deployment, pupil_data
    how = privacy.privacy_config(dep.suite).get("export")
    if how is None:
        pytest.skip(f"{dep.suite.name}'s suite.yaml declares no export path (privacy.export): not verified here")
    via, said = how.get("via", "none"), how.get("note", "")
    _planting_evidence(data, evidence)
    if via == "none":
        unsupported(f"{dep.suite.name} has no export of a pupil's data" + (f": {said}" if said else ""))
    if not data.planted:
        unsupported(f"{dep.suite.name} offers nothing a pupil's data could be planted in")
    dest = evidence / "export"
    if via == "dav-download":
        listing = privacy.dav_download(dep, data.account, dest)
        write_json(evidence, "export-listing.json", listing)
        what = "the pupil's own full download over the standard protocols (" + ", ".join(
            {"files": "WebDAV PROPFIND + GET of every file", "calendar": "CalDAV: every calendar, object by object",
             "contacts": "CardDAV: every address book, card by card"}[c] for c in listing if c != "left out") + ")"
        if listing.get("left out"):
            what += f" (left out, not the pupil's own: {', '.join(x['url'] for x in listing['left out'])})"
        admin = privacy.suite_admin(dep)
        if admin.has("export_extra"):  # what the protocols do not carry, fetched as the pupil too
            what += " + " + admin.call("export_extra", data.account, dest)
    elif via == "suite":
        try:
            result = privacy.suite_admin(dep).call("export_user_data", data.account.username, dest)
        except NeedsLauncher as exc:
            pytest.skip(str(exc))
        what = result.what if isinstance(result, privacy.Export) else \
            f"{dep.suite.name}'s own export" + (f" ({said})" if said else "")
    else:
        raise ValueError(f"suite.yaml privacy.export.via {via!r}: not one of dav-download, suite, none")
    found = privacy.find_in_export(data.planted, dest)
    formats = {str(p.relative_to(dest)): privacy.open_format(p.name, p.read_bytes(), p.relative_to(dest).parts[0])
               for p in sorted(dest.rglob("*")) if p.is_file() and p.suffix not in (".log", ".FAILED")}
    write_json(evidence, "export-check.json", {"via": via, "what": what, "found": found, "formats": formats})
    problems = [f"not in the export: {label}" for label, hits in found.items() if not hits]
    problems += [f"{name}: not in an open format" for name, fmt in formats.items() if not fmt]
    problems += [f"the export broke: {p.read_text(encoding='utf-8').strip()}" for p in dest.glob("*.FAILED")]
    if problems:
        pytest.fail(f"{what}: " + "; ".join(problems)
                    + (f" (not offered: {'; '.join(data.not_offered)})" if data.not_offered else ""), pytrace=False)
    kinds = sorted({p.kind for p in data.planted})
    note(request, f"{what}: all {len(data.planted)} planted items found ({', '.join(kinds)}) in "
                  f"{', '.join(sorted(set(formats.values())))}"
                  + (f"; not offered: {'; '.join(data.not_offered)}" if data.not_offered else ""))


def _reachable(url: str, account=None) -> int:
    """The status of a GET of url as account (None: anonymously)."""
    with Session(account.username, account.password) if account else Session() as s:
        return s.get(url).status_code


@pytest.mark.requirement("PRI-06")
def test_deletion_of_one_pupils_data(pupil_data, suite_deployment, evidence, request):
    dep, data = suite_deployment, pupil_data
    how = privacy.privacy_config(dep.suite).get("delete")
    if how is None:
        pytest.skip(f"{dep.suite.name}'s suite.yaml declares no deletion path (privacy.delete): not verified here")
    via, said = how.get("via", "none"), how.get("note", "")
    _planting_evidence(data, evidence)
    if via == "none":
        unsupported(f"{dep.suite.name} has no deletion of a pupil's data" + (f": {said}" if said else ""))
    account, admin = data.account, privacy.suite_admin(dep)
    urls = [p for p in data.planted if p.url.startswith("http")]
    # the control: who reaches each item before the deletion (the teacher through a share, anyone through a link)
    before = {p.label: {"admin": _reachable(p.url, dep.accounts["admin"]), "pupil": _reachable(p.url, account),
                        "teacher": _reachable(p.url, dep.accounts["teacher"]) if "teacher" in dep.accounts else None,
                        "anonymous": _reachable(p.url)}
              for p in urls}
    markers = [m for p in data.planted for m in p.markers if m.startswith("POC-") or m == account.display_name]
    storage_before = []
    if admin.has("storage_survivors"):  # the control: the same look at the storage finds the pupil before
        try:
            storage_before = admin.call("storage_survivors", account.username, markers)
        except NeedsLauncher:
            pass
    try:
        if via == "suite":
            steps = admin.call("delete_user_data", account.username)
        elif via == "provisioning":
            data.accounts.provisioning.delete_user(account.username)
            steps = [f"deleted {account.username} through {dep.suite.name}'s provisioning API"]
        else:
            raise ValueError(f"suite.yaml privacy.delete.via {via!r}: not one of suite, provisioning, none")
    except NeedsLauncher as exc:
        pytest.skip(str(exc))
    data.deleted = True
    deleted_at = time.monotonic()
    survivors = []
    # the server's storage first: a sign-in below may make things anew (SOGo makes a signed-in user's folders)
    storage = []
    if admin.has("storage_survivors"):
        try:
            storage = admin.call("storage_survivors", account.username, markers)
        except NeedsLauncher as exc:
            storage = [f"(not checked: {exc})"]
        survivors += [f"on the server: {s}" for s in storage if not s.startswith("(not checked")]
    after = {}
    for p in urls:
        after[p.label] = {role: _reachable(p.url, dep.accounts[role]) for role in ("admin", "teacher")}
        after[p.label]["anonymous"] = _reachable(p.url)
        for who, status in after[p.label].items():
            if 200 <= status < 300:
                survivors.append(f"{p.label}: the {who} still reaches it (HTTP {status})")
    if data.learning and data.learning.manager is not None:
        for klass in data.learning.classes:
            members = [m.username for m in data.learning.manager.participants(klass.id)]
            if account.username in members:
                survivors.append(f"the pupil is still a member of the class {klass.name!r}")
    if admin.has("reachable_after_deletion"):
        survivors += admin.call("reachable_after_deletion", account.username, data.planted)
    signed_in = [cap for cap in privacy.sign_in_capabilities(dep.suite) if privacy.signs_in(dep, cap, account)]
    web = admin.call("web_login", account.username, account.password) if admin.has("web_login") else None
    if web is not None:
        web.close()
        if web.signed_in:
            signed_in.append("the web page")
    if signed_in:  # once more after a moment: a cache may hold the sign-in for a while
        time.sleep(5)
        still = [cap for cap in signed_in if cap != "the web page" and privacy.signs_in(dep, cap, account)]
        if "the web page" in signed_in and admin.call("web_login", account.username, account.password).signed_in:
            still.append("the web page")
        if still:
            survivors.append(f"the pupil still signs in through {', '.join(still)} "
                             f"{time.monotonic() - deleted_at:.0f} s after the deletion"
                             + privacy.quirk_notes(dep.suite, "auth.cache"))
    links = "no sharing capability: no share or public link to check" if "sharing" not in dep.suite.capabilities \
        else "shares and public links checked through the planted items' URLs"
    write_json(evidence, "deletion.json", {"via": via, "steps": steps, "before": before, "after": after,
                                           "signed_in_after": signed_in, "storage_before": storage_before,
                                           "storage": storage,
                                           "survivors": survivors, "shares": links})
    what = "; ".join(steps)
    if survivors:
        pytest.fail(f"after the deletion ({what}): " + "; ".join(survivors), pytrace=False)
    note(request, f"deleted by {what}; afterwards the pupil cannot sign in, none of the {len(data.planted)} planted "
                  "items is reachable by the admin, the teacher or anonymously"
                  + (", the class membership is gone" if data.learning and data.learning.classes else "")
                  + (f", and the server's storage holds nothing of the pupil (before the deletion the same look found "
                     f"{len(storage_before)} place(s))" if admin.has("storage_survivors") else "")
                  + f" ({links})")
