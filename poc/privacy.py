"""The harness's side of the privacy and identity Musts: one pupil's data planted, exported and
deleted (PRI-05, PRI-06), roles (IAM-07), leavers (IAM-11) and repeated login attempts (IAM-13).

What differs between suites is data in ``suite.yaml``:

```yaml
privacy:
  export: {via: dav-download | suite, note: "..."}   # PRI-05: how one pupil's data is exported
  delete: {via: suite | provisioning, note: "..."}   # PRI-06: how one pupil's data is deleted
admin:
  module: admin.py    # the suite's own administrator operations, beside suite.yaml (functions below)
  accounts: "..."     # how an account is made and removed there, in words (the verdicts quote it)
harness_changes:      # every security default the harness changes for its own convenience
  - {setting: ..., default: ..., value: ..., why: ..., requirements: [IAM-13]}
```

``via: dav-download`` is the pupil's own full download over the standard protocols (WebDAV
PROPFIND + GET of every file, CalDAV and CardDAV collections object by object), done here;
``via: suite`` calls the admin module's ``export_user_data``/``delete_user_data``;
``via: provisioning`` deletes through the provisioning adapter's ``delete_user``.

The admin module (every function optional; each takes the deployment first). On a local suite
``deployment.launcher`` is the suite's running launcher; a function that needs it raises
:class:`NeedsLauncher` elsewhere (an external deployment, a pytest-xdist worker)::

    add_account(dep, account)                       a fresh account (role pupil or teacher)
    remove_account(dep, username)                   the leaver: the account closed or removed
    delete_user_data(dep, username) -> [str]        PRI-06: account and data gone; the steps taken
    export_user_data(dep, username, dest) -> [Path] | Export   PRI-05: the suite's own export into dest
                                                    (an Export names what was run; the verdict quotes it)
    export_extra(dep, account, dest) -> str         PRI-05 with via dav-download: what the standard protocols
                                                    do not carry (e.g. group memberships, shares) fetched as
                                                    the pupil into dest; returns what was fetched, in words
    unplant(dep, account, planted)                  remove what ``plant`` made that outlives the account
                                                    (a group, a share), whether or not it was deleted
    plant(dep, account, tag) -> [Planted]           items only this suite has (Kolibri: attendance)
    reachable_after_deletion(dep, username, planted) -> [str]   what the suite's APIs still give
    storage_survivors(dep, username, markers) -> [str]          what its storage still holds
    web_login(dep, username, password) -> WebLogin  its web page's sign-in (IAM-11, IAM-13)
    attempt(dep, account, action) -> Attempt        IAM-07's administrator actions as that account
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .protocols import adapter as protocol_adapter
from .protocols._http import Session
from .protocols.webdav import DAV, parse_multistatus
from .suites import Account
from .verdicts import unsupported

DAV_CAPABILITIES = ("files", "calendar", "contacts")
ACTIONS = ("create account", "delete account", "create class", "delete class", "change settings", "admin page")


@dataclass
class Export:
    """What a suite's export run gave: the files, and what was run, in words (quoted in the verdict)."""

    what: str
    paths: list = field(default_factory=list)


def progress(text: str) -> None:
    """A progress line on the terminal during a long wait inside a scenario (pytest captures stdout)."""
    import sys
    from .redact import redact
    stream = sys.__stderr__
    if stream is not None:
        stream.write(redact(f"  {text}") + "\n")
        stream.flush()


class NeedsLauncher(RuntimeError):
    """The operation runs on the suite's server through its launcher, which this process does not have."""


@dataclass
class Planted:
    """One item of the pupil's data the scenario made, and how to recognise it."""

    kind: str                 # file, event, contact, class membership, attendance, account, sign-in log, ...
    label: str                # what it is, in words
    markers: tuple = ()       # any of these strings in the export shows the item is there
    capability: str = ""
    url: str = ""             # where it is fetched (the after-deletion checks)
    content: bytes | None = field(default=None, repr=False)  # a file's exact bytes
    ids: dict = field(default_factory=dict)  # the suite's own ids of the item (e.g. {"user": ..., "class": ...})
    container: str = ""       # the folder, calendar or address book made for it (removed afterwards)

    def record(self) -> dict:
        d = asdict(self)
        d.pop("content")
        return d


@dataclass
class Attempt:
    """One action tried as one role (IAM-07): allowed, refused, or not offered by the suite."""

    action: str
    role: str
    status: int | None = None  # the HTTP status where there was one
    allowed: bool | None = None  # None: the suite has no such function (nothing to try)
    detail: str = ""


@dataclass
class WebLogin:
    """The web page's own sign-in: the status it answered and, when signed in, a check that the
    session still holds (IAM-11)."""

    status: int
    signed_in: bool
    alive: object = None  # callable() -> bool: the session's next request is still signed in
    close: object = None  # callable(): end the client side
    session: object = None  # the signed-in requests.Session, for further requests as that user


# -- the suite's declarations ----------------------------------------------------------------------

def privacy_config(suite) -> dict:
    return suite.config.get("privacy") or {}


def harness_changes(suite_config: dict, requirement: str | None = None) -> list[dict]:
    """The security defaults the harness changes on this suite (optionally: those touching one requirement)."""
    out = suite_config.get("harness_changes") or []
    return [c for c in out if requirement is None or requirement in (c.get("requirements") or [])]


class SuiteAdmin:
    """The suite's admin module (``admin.module`` in suite.yaml), bound to the deployment."""

    def __init__(self, deployment):
        self.deployment = deployment
        suite = deployment.suite
        block = suite.config.get("admin") or {}
        self.how = str(block.get("accounts") or "")
        self.module = suite.load_module(block["module"], "admin") if block.get("module") else None

    def has(self, name: str) -> bool:
        return self.module is not None and callable(getattr(self.module, name, None))

    def call(self, name: str, *args):
        return getattr(self.module, name)(self.deployment, *args)


def suite_admin(deployment) -> SuiteAdmin:
    return SuiteAdmin(deployment)


def launcher_of(deployment):
    """The running launcher of a local suite (admin modules use it), or NeedsLauncher."""
    launcher = getattr(deployment, "launcher", None)
    if launcher is None:
        raise NeedsLauncher(f"{deployment.suite.name}: this step runs on the suite's server through its "
                            "launcher, which this process does not hold (run without WORKERS, on a local suite)")
    return launcher


# -- dedicated accounts ------------------------------------------------------------------------------

def new_account(deployment, role: str = "pupil", tag: str | None = None) -> Account:
    """A fresh account for one scenario (never a shared test account): letters, digits and _ only,
    so every suite takes the name (Kolibri's rule is the strictest)."""
    from .redact import add as add_secret
    from .suites import new_password
    tag = tag or uuid.uuid4().hex[:8]
    prefix = {"pupil": "poc_elev", "teacher": "poc_laerer"}.get(role, "poc_" + role)
    password = new_password()
    add_secret(password)  # masked in everything the harness writes, like the test accounts' own
    return Account(role, f"{prefix}_{tag}", password, f"Privatliv Ærø {tag}")


class Accounts:
    """How the harness makes and removes a dedicated account on this suite: through its
    provisioning API where it has one with users (create/delete), else through its admin module."""

    def __init__(self, deployment, client_for_role):
        self.deployment = deployment
        self.admin = suite_admin(deployment)
        self.made: list[Account] = []
        self.provisioning = None
        suite = deployment.suite
        if "provisioning" in suite.capabilities and "admin" in deployment.accounts:
            prov = client_for_role("provisioning", "admin")
            if callable(getattr(prov, "ensure_user", None)) and callable(getattr(prov, "delete_user", None)):
                self.provisioning = prov
        if self.provisioning is not None:
            protocol = suite.capabilities["provisioning"]["protocol"]
            self.how = f"{suite.name}'s provisioning API ({protocol}) as the admin"
        elif self.admin.has("add_account") and self.admin.has("remove_account"):
            self.how = self.admin.how or f"{suite.name}'s admin module"
        else:
            self.how = ""

    @property
    def through_provisioning_api(self) -> bool:
        return self.provisioning is not None or (
            "provisioning" in self.deployment.suite.capabilities and bool(self.how))

    def available(self) -> bool:
        return bool(self.how)

    def require(self):
        if not self.available():
            unsupported(f"{self.deployment.suite.name} has no way for the harness to make and remove an "
                        "account of its own (no provisioning API with users, no admin module)")

    def create(self, role: str = "pupil") -> Account:
        self.require()
        account = new_account(self.deployment, role)
        try:
            if self.provisioning is not None:
                self.provisioning.ensure_user(account)
            else:
                self.admin.call("add_account", account)
        except Exception:
            # a creation that failed half-way (the server made the user, then broke) leaves nothing behind
            try:
                if self.provisioning is not None:
                    self.provisioning.delete_user(account.username)
                elif self.admin.has("remove_account"):
                    self.admin.call("remove_account", account.username)
            except Exception:
                pass
            raise
        self.made.append(account)
        return account

    def remove(self, username: str) -> None:
        if self.provisioning is not None:
            disable = getattr(self.provisioning, "set_enabled", None)
            if callable(disable):
                disable(username, False)
            else:
                self.provisioning.delete_user(username)
                self._gone(username)
        else:
            self.admin.call("remove_account", username)
            self._gone(username)

    def _gone(self, username: str) -> None:
        """The account was removed for good: nothing left for the clean-up to remove."""
        self.made[:] = [a for a in self.made if a.username != username]

    def cleanup(self) -> list[str]:
        """Remove every account made here (data too, where the suite can); what could not be removed is
        returned and named in the run (the deployment's left_behind, exit code 5)."""
        left = []
        for account in self.made:
            try:
                if self.provisioning is not None:
                    self.provisioning.delete_user(account.username)
                elif self.admin.has("delete_user_data"):
                    self.admin.call("delete_user_data", account.username)
                else:
                    self.admin.call("remove_account", account.username)
            except Exception as exc:  # noqa: BLE001 - named, not fatal
                left.append(f"{account.username}: {exc}")
                getattr(self.deployment, "left_behind", []).append(
                    {"what": f"the account {account.username} a privacy scenario made", "why": str(exc)[:300],
                     "how": f"remove it as {self.deployment.suite.name}'s administrator ({self.how})"})
        self.made.clear()
        return left


# -- adapters for an arbitrary account ---------------------------------------------------------------

def client(deployment, capability: str, account: Account):
    suite = deployment.suite
    spec = suite.capabilities[capability]
    quirk = suite.quirk("http.close-connections")
    return protocol_adapter(spec["protocol"])(deployment.url_for(capability, account), account, suite,
                                              close_connections=bool(quirk and quirk["support"] != "full"))


def dav_capabilities(suite) -> list[str]:
    return [c for c in DAV_CAPABILITIES if c in suite.capabilities
            and suite.capabilities[c]["protocol"] in ("webdav", "caldav", "carddav")]


# -- planting over the standard protocols ------------------------------------------------------------

def _ics(uid: str, summary: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//OS2skole PoC//privacy//DA\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260105T080000Z\r\nDTSTART:20260112T080000Z\r\nDTEND:20260112T090000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def plant_dav(deployment, account: Account, tag: str) -> list[Planted]:
    """A file in a folder and one at the top, an event in a calendar of its own and a contact in an
    address book of its own, for `account`, over the suite's WebDAV/CalDAV/CardDAV."""
    import vobject

    planted: list[Planted] = []
    caps = deployment.suite.capabilities
    if "files" in caps and caps["files"]["protocol"] == "webdav":
        files = client(deployment, "files", account)
        try:
            folder = f"Privatliv {tag}"
            files.mkcol(folder)
            for path, text in ((f"{folder}/Aflevering {tag} – Ærø.txt", f"POC-{tag}-FIL1 Min aflevering om Ærø.\n"),
                               (f"Noter {tag}.txt", f"POC-{tag}-FIL2 Noter til Åbenrå-turen.\n")):
                body = text.encode("utf-8")
                files.put(path, body, content_type="text/plain; charset=utf-8")
                planted.append(Planted("file", path, (text.split()[0],), "files", files.url(path), body,
                                       container=files.url(folder) + "/" if "/" in path else ""))
        finally:
            files.close()
    if "calendar" in caps and caps["calendar"]["protocol"] == "caldav":
        cal_client = client(deployment, "calendar", account)
        try:
            cal = cal_client.new_calendar(f"Skema {tag}")
            summary = f"POC-{tag}-BEGIVENHED Tandlæge på Ærø"
            event = cal.save_event(_ics(f"poc-{tag}@os2skole.invalid", summary))
            planted.append(Planted("event", f"calendar event {summary!r}", (f"POC-{tag}-BEGIVENHED",), "calendar",
                                   str(event.url), container=str(cal.url)))
        finally:
            cal_client.close()
    if "contacts" in caps and caps["contacts"]["protocol"] == "carddav":
        cards = client(deployment, "contacts", account)
        try:
            book = cards.create_addressbook(f"poc-{tag}", f"Mine kontakter {tag}")
            card = vobject.vCard()
            card.add("fn").value = f"POC-{tag}-KONTAKT Mormor Ærø"
            card.add("n").value = vobject.vcard.Name(family="Ærø", given="Mormor")
            card.add("uid").value = f"poc-{tag}-kontakt"
            card.add("tel").value = "+45 12 34 56 78"
            url = cards.put_card(book, f"poc-{tag}-kontakt", card)
            planted.append(Planted("contact", f"contact {card.fn.value!r}", (f"POC-{tag}-KONTAKT",), "contacts", url,
                                   container=book))
        finally:
            cards.close()
    return planted


def remove_planted(account: Account, planted: list[Planted]) -> list[str]:
    """Delete what plant_dav made (its items, then their folders, calendars and address books) as
    their owner; what could not be removed."""
    left = []
    with Session(account.username, account.password) as session:
        for url in [p.url for p in planted if p.url.startswith("http")] + \
                   sorted({p.container for p in planted if p.container}, key=len, reverse=True):
            try:
                r = session.delete(url)
                if r.status_code not in (200, 204, 404):
                    left.append(f"{url} (HTTP {r.status_code})")
            except Exception as exc:  # noqa: BLE001 - named, not fatal
                left.append(f"{url} ({exc})")
    return left


@dataclass
class LearningPlant:
    planted: list
    classes: list            # ClassRef of the classes made for the scenario
    manager: object = None   # the adapter that made them (and removes them)
    not_offered: list = field(default_factory=list)


def plant_learning(deployment, account: Account, tag: str) -> LearningPlant:
    """The pupil in a class of its own (made by the teacher, or by the admin where only an admin may,
    the teacher its teacher), a hand-in with a grade and a comment where the platform has them, and
    the pupil signed in once."""
    from .protocols.learning import Forbidden
    from .verdicts import Unsupported

    out = LearningPlant([], [])
    if "learning" not in deployment.suite.capabilities:
        return out
    teacher = client(deployment, "learning", deployment.accounts["teacher"])
    name = f"Privatliv 7.B {tag}"
    try:
        klass, out.manager = teacher.create_class(name), teacher
    except Forbidden:
        out.manager = client(deployment, "learning", deployment.accounts["admin"])
        klass = out.manager.create_class(name)
        out.manager.enrol(klass.id, deployment.accounts["teacher"].username, "teacher")
    out.classes.append(klass)
    out.manager.enrol(klass.id, account.username, "pupil")
    # the class's id is a marker only where it is distinctive (Kolibri's UUIDs): a short number (Moodle's course
    # ids) would be "found" in any file holding that number
    ident = (klass.id,) if len(str(klass.id)) >= 8 else ()
    out.planted.append(Planted("class membership", f"membership of the class {name!r}", ident + (name,), "learning",
                               ids={"class": klass.id}))
    pupil = client(deployment, "learning", account)
    try:
        pupil.my_classes()  # the pupil signs in and opens its classes
        import datetime as dt
        try:
            task = teacher.create_assignment(klass.id, f"POC-{tag}-OPGAVE Ærø", dt.datetime.now(dt.timezone.utc)
                                             + dt.timedelta(days=7), "Skriv om Ærø.")
            pupil.submit(task, f"POC-{tag}-AFLEVERING Min tekst om Ærø og Åbenrå.")
            out.planted.append(Planted("hand-in", f"hand-in to {task.title!r}", (f"POC-{tag}-AFLEVERING",), "learning",
                                       ids={"assignment": task.id, "class": klass.id}))
            teacher.grade(task, account.username, 10, f"POC-{tag}-BEDOEMMELSE Flot arbejde.")
            out.planted.append(Planted("grade", f"grade and comment on {task.title!r}", (f"POC-{tag}-BEDOEMMELSE",),
                                       "learning", ids={"assignment": task.id, "class": klass.id}))
        except Unsupported as exc:
            out.not_offered.append(f"hand-ins and grades: {exc.msg if hasattr(exc, 'msg') else exc}")
    finally:
        pupil.close()
        if out.manager is not teacher:
            teacher.close()
    return out


def not_offered(suite) -> list[str]:
    """What PRI-05 names (files, calendars, contacts, messages, hand-ins and grades) the suite does not offer."""
    wanted = {"files": "files", "calendar": "calendars", "contacts": "contacts", "messaging": "messages",
              "mail": "mail", "learning": "classes, hand-ins and grades"}
    return [f"{what}: {suite.name} does not offer the capability {cap!r}" for cap, what in wanted.items()
            if cap not in suite.capabilities]


# -- the pupil's own full download over the standard protocols ---------------------------------------

PROPS = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/>'
         '<D:getcontenttype/></D:prop></D:propfind>')


def _walk(session: Session, url: str, depth_left: int = 12) -> list[str]:
    """Every non-collection below `url` (PROPFIND Depth 1, folder by folder)."""
    r = session.request("PROPFIND", url, data=PROPS.encode(), expect=207,
                        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    out = []
    here = unquote(urlsplit(url).path).rstrip("/")
    for entry in parse_multistatus(r.content):
        href = urljoin(url, entry.href)
        if unquote(urlsplit(href).path).rstrip("/") == here:
            continue
        if entry.is_collection:
            if depth_left > 0:
                out += _walk(session, href if href.endswith("/") else href + "/", depth_left - 1)
        else:
            out.append(href)
    return out


def _save(dest: Path, rel: str, body: bytes) -> Path:
    safe = "/".join(p for p in unquote(rel).split("/") if p not in ("", ".", ".."))
    path = dest / safe
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def dav_download(deployment, account: Account, dest: Path) -> dict:
    """The pupil's full download: every file (WebDAV), every calendar object (CalDAV) and every
    vCard (CardDAV), saved under dest/<capability>/. Returns {capability: [{path, url, format}]}."""
    out: dict[str, list[dict]] = {}
    skipped: list[dict] = []
    suite = deployment.suite
    for capability in dav_capabilities(suite):
        c = client(deployment, capability, account)
        with Session(account.username, account.password) as session:
            if capability == "files":
                roots = [c.root]
            elif capability == "calendar":
                roots = [str(cal.url) for cal in c.calendars()]
            else:
                roots = c.addressbooks()
            c.close()
            items = []
            for root in roots:
                why = _not_own(session, root, account.username) if capability != "files" else ""
                if why:  # shown to the pupil but not the pupil's data (e.g. SOGo's school directory): left out
                    skipped.append({"capability": capability, "url": root, "why": why})
                    continue
                base = urlsplit(root).path
                for href in _walk(session, root):
                    body = session.get(href, expect=200).content
                    rel = unquote(urlsplit(href).path)
                    rel = rel[len(unquote(base)):] if rel.startswith(unquote(base)) else rel
                    folder = "" if capability == "files" else unquote(base.rstrip("/").rsplit("/", 1)[-1]) + "/"
                    path = _save(dest / capability, folder + rel, body)
                    items.append({"path": str(path.relative_to(dest)), "url": href, "bytes": len(body),
                                  "format": open_format(path.name, body, capability)})
            out[capability] = items
    if skipped:
        out["left out"] = skipped
    return out


OWNERSHIP = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:owner/>'
             '<D:current-user-privilege-set/></D:prop></D:propfind>')


def _not_own(session: Session, url: str, username: str) -> str:
    """Why the collection is not the user's own ('' when it is): a CardDAV directory gateway (the
    school's directory, RFC 6352 section 6.2.2), another owner (DAV:owner, RFC 3744), or no write
    privilege. A server that says nothing is taken at its word that the collection is the user's."""
    r = session.request("PROPFIND", url, data=OWNERSHIP.encode(), expect=None,
                        headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
    if r.status_code != 207:
        return ""
    entries = parse_multistatus(r.content)
    props = entries[0].props if entries else {}
    rt = props.get(DAV + "resourcetype")
    if rt is not None and not isinstance(rt, str) and rt.find("{urn:ietf:params:xml:ns:carddav}directory") is not None:
        return "a CardDAV directory (the school's address list), not the pupil's own"
    owner = props.get(DAV + "owner")
    href = owner.findtext(DAV + "href") if owner is not None and not isinstance(owner, str) else None
    if href and username not in unquote(href):
        return f"owned by {href.strip()}, not by the pupil"
    privs = props.get(DAV + "current-user-privilege-set")
    if privs is not None and not isinstance(privs, str):
        granted = {el.tag for priv in privs.findall(DAV + "privilege") for el in priv}
        if not granted & {DAV + "write", DAV + "all", DAV + "bind", DAV + "write-content"}:
            return "read-only for the pupil, not the pupil's own"
    return ""


def open_format(name: str, body: bytes, capability: str = "") -> str:
    """The open format a downloaded item is in, checked by parsing it; '' when it is not one."""
    import vobject

    text = body.decode("utf-8", errors="replace")
    if capability == "calendar" or name.endswith(".ics"):
        try:
            return "iCalendar (RFC 5545)" if vobject.readOne(text).name == "VCALENDAR" else ""
        except Exception:
            return ""
    if capability == "contacts" or name.endswith(".vcf"):
        try:
            return "vCard (RFC 6350)" if vobject.readOne(text).name == "VCARD" else ""
        except Exception:
            return ""
    if name.endswith(".json") or name.endswith(".txt") and text.lstrip()[:1] in "[{":
        try:
            json.loads(text)
            return "JSON (RFC 8259)"
        except ValueError:
            pass
    if name.endswith(".csv"):
        return "CSV (RFC 4180)"
    if name.endswith(".zip"):
        import io
        import zipfile
        return "ZIP (ISO/IEC 21320-1)" if zipfile.is_zipfile(io.BytesIO(body)) else ""
    if name.endswith((".html", ".htm")):
        return "HTML"
    return "the file as stored"


def find_in_export(planted: list[Planted], dest: Path) -> dict[str, list[str]]:
    """For each planted item, the exported files it was found in (by marker in a file's bytes or in
    its path within the export, whose folders an export names by what they hold, e.g. Moodle's
    "Course <name>"; or by a file's exact bytes). A JSON file is also read decoded, so a marker
    with æ, ø or å is found where the export escaped it (\\u00e6)."""
    texts = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    decoded = {p: _json_text(p, body) for p, body in texts.items()}
    found: dict[str, list[str]] = {}
    for item in planted:
        hits = []
        for path, body in texts.items():
            rel = str(path.relative_to(dest))
            if item.content is not None and body == item.content:
                hits.append(rel)
            elif any(m and (m.encode("utf-8") in body or m in rel or m in decoded[path]) for m in item.markers):
                hits.append(rel)
        found[item.label] = sorted(set(hits))
    return found


def _json_text(path: Path, body: bytes) -> str:
    """A JSON file's text with its escapes undone ('' for anything else)."""
    if path.suffix != ".json" or b"\\u" not in body:
        return ""
    try:
        return json.dumps(json.loads(body.decode("utf-8")), ensure_ascii=False)
    except ValueError:
        return ""


# -- sign-in checks ----------------------------------------------------------------------------------

def signs_in(deployment, capability: str, account: Account, password: str | None = None) -> bool:
    """Does the suite let `account` in through `capability` with `password` (default: its own)?"""
    c = client(deployment, capability, Account(account.role, account.username, password or account.password,
                                               account.display_name))
    try:
        return bool(c.password_accepted(password if password is not None else account.password))
    except Exception as exc:  # a refused sign-in may come back as the adapter's Forbidden
        if type(exc).__name__ in ("KolibriForbidden", "Forbidden", "MoodleForbidden", "OCSForbidden"):
            return False
        if getattr(exc, "status", None) == 404:
            return False  # the account's own place is gone (e.g. its WebDAV share): it cannot get in
        raise
    finally:
        close = getattr(c, "close", None)
        if close:
            close()


def sign_in_capabilities(suite) -> list[str]:
    return [c for c in ("files", "calendar", "contacts", "learning", "sharing") if c in suite.capabilities]


# -- evidence and notes ------------------------------------------------------------------------------

def quirk_notes(suite, feature: str) -> str:
    """' (known: <note>)' for the suite's quirk on `feature`, if it has one: what the product is known to do."""
    quirk = suite.quirk(feature)
    return f" (known: {' '.join(str(quirk['note']).split())})" if quirk else ""


def changes_note(suite, requirement: str) -> str:
    """' [harness change: ...]' for every security default the harness changes that touches `requirement`."""
    changes = harness_changes(suite.config, requirement)
    return "".join(f" [harness change: {c['setting']} is {c['value']} here, {c['default']} by default]"
                   for c in changes)


def write_json(folder: Path, name: str, data) -> Path:
    """Evidence as JSON, every known secret masked (a public link's token is one while it lives)."""
    from .redact import redact
    path = folder / name
    path.write_text(redact(json.dumps(data, indent=2, ensure_ascii=False, default=str)), encoding="utf-8")
    return path


def note(request, text: str) -> None:
    """What a passing scenario rests on; shown as its message in the report."""
    request.node.user_properties.append(("poc_note", text))


def leaver_verdict(request, dep, accounts, said: str, failed: str | None) -> None:
    """The end of an IAM-11 scenario: `unsupported` with the figures where the suite has no provisioning API
    to close an account through (the administrator's way was measured), else a fail with `failed` when the
    leaver kept access, else a pass resting on `said`."""
    import pytest

    from .verdicts import unsupported
    if not accounts.through_provisioning_api:
        unsupported(f"{dep.suite.name} has no provisioning API to close an account through; measured with the "
                    f"administrator's way instead: {said}")
    if failed:
        pytest.fail(failed, pytrace=False)
    note(request, said)


def timed(fn, *args, **kwargs):
    t0 = time.monotonic()
    value = fn(*args, **kwargs)
    return value, time.monotonic() - t0
