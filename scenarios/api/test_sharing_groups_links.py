"""Sharing over the suite's sharing protocol (OCS on Nextcloud): a folder shared with a class,
and a public link with a password and an expiry date."""

from __future__ import annotations

import datetime as dt

import pytest

CONTENT = "Læseplan for 7.B: Ærø, Øresund og Åbenrå.\n".encode("utf-8")


def _shared_folder_name(listing, name):
    return any(entry == name or entry.startswith(name + " (") for entry in listing)


@pytest.mark.requirement("FIL-07")
def test_folder_shared_with_class_read_only_then_read_write(files_for, sharing_for, school_class, tag):
    teacher_files, sharing = files_for("teacher"), sharing_for("teacher")
    folder = f"Materialer 7.B {tag}"
    teacher_files.mkcol(folder)
    share = None
    try:
        teacher_files.put(f"{folder}/læseplan.txt", CONTENT, content_type="text/plain; charset=utf-8")
        share = sharing.share_with_group("/" + folder, school_class, permissions=sharing.READ)
        pupil, outsider = files_for("pupil"), files_for("pupil2")
        assert _shared_folder_name(pupil.listdir(""), folder), "the class's pupil does not see the shared folder"
        assert pupil.get(f"{folder}/læseplan.txt").content == CONTENT, "the pupil cannot open the shared file"
        assert not _shared_folder_name(outsider.listdir(""), folder), "a pupil outside the class sees the folder"
        assert outsider.get(f"{folder}/læseplan.txt", expect=None).status_code in (403, 404), \
            "a pupil outside the class can open the file"
        refused = pupil.put(f"{folder}/elevens.txt", b"skrevet af eleven", expect=None)
        assert refused.status_code in (403, 405, 409), \
            f"a read-only share let the pupil write (HTTP {refused.status_code})"
        sharing.update_share(share.id, permissions=sharing.READ_WRITE)
        pupil.put(f"{folder}/elevens.txt", b"skrevet af eleven")
        assert teacher_files.get(f"{folder}/elevens.txt").content == b"skrevet af eleven"
    finally:
        if share is not None:
            sharing.delete_share(share.id)
        teacher_files.delete(folder + "/", expect=(200, 204, 404))


@pytest.mark.requirement("FIL-08")
def test_public_link_with_password_and_expiry(files_for, sharing_for, tag):
    teacher_files, sharing = files_for("teacher"), sharing_for("teacher")
    name = f"Invitation {tag}.txt"
    teacher_files.put(name, CONTENT, content_type="text/plain; charset=utf-8")
    password = f"Skole-{tag}-Æblekage-2026"
    share = None
    try:
        expiry = dt.date.today() + dt.timedelta(days=7)
        share = sharing.public_link("/" + name, password=password, expire_date=expiry)
        assert share.token, "the public link has no token"
        assert share.expiration.startswith(expiry.isoformat()), f"expiry not kept: {share.expiration!r}"
        right = sharing.open_public_link(share, password)
        assert right.status_code == 200 and right.content == CONTENT, \
            f"the right password did not open the link (HTTP {right.status_code})"
        assert sharing.open_public_link(share, "forkert-kode").status_code in (401, 403, 404), \
            "a wrong password opened the link"
        assert sharing.open_public_link(share, None).status_code in (401, 403, 404), "no password opened the link"
        yesterday = dt.date.today() - dt.timedelta(days=1)
        try:
            sharing.update_share(share.id, expire_date=yesterday)
            expired_refused = sharing.open_public_link(share, password).status_code in (401, 403, 404)
        except Exception:  # the suite refuses an expiry in the past: the link keeps its future expiry
            expired_refused = True
        assert expired_refused, "a link whose expiry date has passed still gives access"
    finally:
        if share is not None:
            try:
                sharing.delete_share(share.id)
            except Exception:
                pass
        teacher_files.delete(name, expect=(200, 204, 404))


@pytest.mark.requirement("IAM-04")
def test_class_change_moves_membership_and_access_without_duplicates(
        group_provisioning, files_for, sharing_for, suite_deployment, tag):
    """A pupil who changes class moves group and (where the suite shares files) loses the old
    class's folder; provisioning the same class again creates nothing new."""
    provisioning = group_provisioning
    with_sharing = "sharing" in suite_deployment.suite.capabilities
    pupil_name = suite_deployment.accounts["pupil"].username
    old, new = f"6.A POC {tag}", f"7.A POC {tag}"
    folder = f"Klassens filer {tag}"
    teacher_files = sharing = share = None
    try:
        for group in (old, new):
            provisioning.ensure_group(group)
        provisioning.add_to_group(pupil_name, old)
        if with_sharing:
            teacher_files, sharing = files_for("teacher"), sharing_for("teacher")
            teacher_files.mkcol(folder)
            share = sharing.share_with_group("/" + folder, old, permissions=sharing.READ)
            assert _shared_folder_name(files_for("pupil").listdir(""), folder), \
                "the pupil does not see the old class's folder"
        provisioning.remove_from_group(pupil_name, old)
        provisioning.add_to_group(pupil_name, new)
        groups = provisioning.user_groups(pupil_name)
        assert new in groups and old not in groups, f"after the class change the pupil is in {groups}"
        if with_sharing:
            assert not _shared_folder_name(files_for("pupil").listdir(""), folder), \
                "the pupil still sees the old class's folder"
        assert provisioning.ensure_group(new) is False, "provisioning the same class again created it anew"
        assert provisioning.groups(new).count(new) == 1, "the class exists twice"
    finally:
        if share is not None:
            sharing.delete_share(share.id)
        if teacher_files is not None:
            teacher_files.delete(folder + "/", expect=(200, 204, 404))
        for group in (old, new):
            try:
                provisioning.delete_group(group)
            except Exception:
                pass
