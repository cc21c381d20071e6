"""What Nextcloud's administrator and the pupil do for PRI-05 and PRI-06 (see poc/privacy.py), through
Nextcloud's own APIs only (OCS and WebDAV), so it works on any deployment reached over HTTP.

- Accounts are made and deleted through the OCS provisioning API (poc/protocols/ocs.py); this module
  adds no account functions.
- A pupil's data beside its files, calendars and contacts (``plant``): a class membership (a
  group, as the school's provisioning makes classes), the pupil's folder shared with the teacher,
  and a public link to one of its files. ``unplant`` removes the group (and, while the pupil
  exists, its shares) again.
- The export (``export_extra``, beside the standard protocols' full download that suite.yaml
  declares): Nextcloud 29's own export of a user's data is the separate app ``user_migration``
  (not part of the server); where it is not installed, the pupil's full download over
  WebDAV/CalDAV/CardDAV is the export, and what those protocols do not carry is fetched here as
  the pupil over OCS, in JSON: its own account record with its groups (``cloud/user``) and its
  shares (``files_sharing``).
- After the deletion (``reachable_after_deletion``): the admin no longer finds the user or its
  group membership, the teacher no longer lists a share from the pupil; the public link, the
  teacher's copy of the share and the pupil's card in Nextcloud's system address book (every
  user's name, shown to the others) are checked by the scenario through the planted items' URLs.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from poc.privacy import Planted, client
from poc.protocols.ocs import OCSClient, OCSError
from poc.redact import add as add_secret, redact

SHARES = "apps/files_sharing/api/v1/shares"
MIGRATION_APP = "user_migration"


def _ocs(dep, account) -> OCSClient:
    return client(dep, "provisioning", account)


def _dav(dep) -> str:
    return dep.endpoints["dav"].rstrip("/")


def _group_id(tag: str) -> str:
    return f"poc-privatliv-7b-{tag}"


# -- planting --------------------------------------------------------------------------------------

def plant(dep, account, tag: str, classes: list) -> list[Planted]:
    """The pupil in a class (a group made by the admin), its folder shared with the teacher, and a
    public link (no password, as a pupil may make one) to one of its files."""
    planted: list[Planted] = []
    admin = _ocs(dep, dep.accounts["admin"])
    try:
        group = _group_id(tag)
        admin.ensure_group(group)
        admin.add_to_group(account.username, group)
        planted.append(Planted("class membership", f"membership of the class (group) {group!r}", (group,),
                               "provisioning", ids={"group": group}))
    finally:
        admin.close()
    teacher = dep.accounts["teacher"]
    pupil = _ocs(dep, account)
    try:
        folder = f"/Privatliv {tag}"
        share = pupil.share_with_user(folder, teacher.username)
        target = _shared_with_me_target(dep, teacher, share.id)
        file_name = f"Aflevering {tag} – Ærø.txt"
        planted.append(Planted(
            "share", f"the folder {folder!r} shared with the teacher {teacher.username}",
            (f'"id": "{share.id}"',), "sharing",
            f"{_dav(dep)}/files/{quote(teacher.username)}{quote(target.rstrip('/'))}/{quote(file_name)}",
            ids={"share": share.id, "with": teacher.username}))
        link = pupil.public_link(f"/Noter {tag}.txt")
        add_secret(link.token)  # a live link to the pupil's file: masked in everything the harness writes
        planted.append(Planted("public link", f"the public link to 'Noter {tag}.txt'", (f'"id": "{link.id}"',),
                               "sharing", f"{dep.url.rstrip('/')}/s/{link.token}/download", ids={"share": link.id}))
    finally:
        pupil.close()
    # Nextcloud shows every user's name to the others in its system address book (CardDAV)
    planted.append(Planted("directory entry", f"the pupil's card in Nextcloud's system address book (seen by "
                           f"{teacher.username})", (f'"id": "{account.username}"',), "contacts",
                           system_card_url(dep, teacher.username, account.username)))
    return planted


def _shared_with_me_target(dep, account, share_id: str) -> str:
    """Where a share appears in the receiver's files (its file_target), e.g. '/Privatliv 1a2b3c4d'."""
    c = _ocs(dep, account)
    try:
        for d in c.call("GET", SHARES, version=2, params={"shared_with_me": "true"}) or []:
            if isinstance(d, dict) and str(d.get("id")) == str(share_id):
                return d.get("file_target") or d.get("path") or ""
    finally:
        c.close()
    raise OCSError("GET", SHARES, 404, f"share {share_id} is not among {account.username}'s shares", 200)


def unplant(dep, account, planted: list[Planted]) -> None:
    """The group goes (it outlives the user); the shares go with the pupil's deletion, or here."""
    admin = _ocs(dep, dep.accounts["admin"])
    try:
        for item in planted:
            if item.ids.get("group") and item.ids["group"] in admin.groups(item.ids["group"]):
                admin.delete_group(item.ids["group"])
    finally:
        admin.close()
    shares = [p.ids["share"] for p in planted if p.ids.get("share")]
    if shares:
        pupil = _ocs(dep, account)
        try:
            for share_id in shares:
                try:
                    pupil.delete_share(share_id)
                except Exception:  # gone with the account, or never there
                    pass
        finally:
            pupil.close()


# -- the export -------------------------------------------------------------------------------------

def migration_app(dep) -> bool | None:
    """Is Nextcloud's own user export (the user_migration app) enabled? None when the admin may not ask."""
    admin = _ocs(dep, dep.accounts["admin"])
    try:
        data = admin.call("GET", "cloud/apps", params={"filter": "enabled"})
        return MIGRATION_APP in list((data or {}).get("apps") or [])
    except OCSError:
        return None
    finally:
        admin.close()


def export_extra(dep, account, dest: Path) -> str:
    """As the pupil, over OCS in JSON: its own account record (with its groups) and its shares,
    saved under dest/ocs/. Returns what was fetched, in words."""
    out = dest / "ocs"
    out.mkdir(parents=True, exist_ok=True)
    pupil = _ocs(dep, account)
    try:
        me = pupil.call("GET", "cloud/user", version=2)
        (out / "cloud-user.json").write_text(json.dumps(me, indent=2, ensure_ascii=False), encoding="utf-8")
        shares = pupil.call("GET", SHARES, version=2) or []
        for s in shares:  # a link's token opens the pupil's file: not written down
            if isinstance(s, dict):
                for key in ("token", "url"):
                    if s.get(key):
                        s[key] = redact(s[key])
        (out / "shares.json").write_text(json.dumps(shares, indent=2, ensure_ascii=False), encoding="utf-8")
    finally:
        pupil.close()
    app = migration_app(dep)
    said = {True: "the user_migration app is enabled on this server but not driven by the harness",
            False: "Nextcloud's own user export, the separate user_migration app, is not installed on this server",
            None: "whether the user_migration app is installed could not be asked"}[app]
    return (f"OCS as the pupil, in JSON: its own account record with its groups (cloud/user) and its shares "
            f"(files_sharing) ({said})")


# -- after the deletion ------------------------------------------------------------------------------

def reachable_after_deletion(dep, username: str, planted: list[Planted]) -> list[str]:
    out = []
    admin = _ocs(dep, dep.accounts["admin"])
    try:
        if admin.user_exists(username):
            out.append(f"the admin still finds the user {username} (OCS cloud/users)")
        for item in planted:
            group = item.ids.get("group")
            if group and group in admin.groups(group) and username in admin.group_members(group):
                out.append(f"the pupil is still a member of the class (group) {group!r}")
    finally:
        admin.close()
    teacher = dep.accounts["teacher"]
    c = _ocs(dep, teacher)
    try:
        mine = [d for d in (c.call("GET", SHARES, version=2, params={"shared_with_me": "true"}) or [])
                if isinstance(d, dict) and d.get("uid_owner") == username]
        for d in mine:
            out.append(f"the teacher still lists a share from the pupil: {d.get('file_target') or d.get('path')!r}")
    finally:
        c.close()
    return out


def system_card_url(dep, viewer: str, username: str) -> str:
    """The pupil's card in Nextcloud's system address book (every user's name, shown to the others)
    as `viewer` reaches it."""
    return (f"{_dav(dep)}/addressbooks/users/{quote(viewer)}/z-server-generated--system/"
            f"{quote('Database:' + username + '.vcf')}")
