"""The SOGo suite on its real servers (Debian's sogo, postgresql, memcached, nginx-light): start,
provision a school (XS), sign in, stop; and what a machine without its packages is told."""

from __future__ import annotations

import json
import shutil

import pytest

from poc.lifecycle.local import port_open

from .processes import marked, new_mark

pytestmark = pytest.mark.skipif(not shutil.which("/usr/sbin/sogod"),
                                reason="SOGo is not installed: apt-get install -y sogo postgresql memcached nginx-light")


def _summary(reports):
    (folder,) = (reports / "provision").iterdir()
    return json.loads((folder / "summary.json").read_text(encoding="utf-8")), folder


def test_provision_xs_starts_provisions_signs_in_and_stops(poc_cli, reports):
    env = new_mark()
    proc = poc_cli("provision", "--suite", "sogo", "--size", "XS", "--seed", "3", env=env, timeout=180)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "users 27" in out and "sign-in 5/5 ok" in out, out
    summary, folder = _summary(reports)
    assert summary["status"] == "provisioned" and summary["school"]["pupils"] == 25
    assert summary["provisioned"]["users"] == 27
    assert all(r["signed_in"] and r["wrong_password_refused"] for r in summary["sign_in"])
    assert summary["left_running"] == []
    # stopped: no process of the run left, and the ports it served are closed
    assert marked(env) == [], "a SOGo process of the run is still running"
    ports = {int(u.rsplit(":", 1)[1].split("/")[0]) for u in summary["endpoints"].values()}
    assert ports and not any(port_open(p) for p in ports)
    # no password in what was written
    assert "SSHA" not in (folder / "summary.json").read_text()
    for log in (folder / "evidence" / "logs").glob("*.log"):
        assert "postgresql://sogo:" not in log.read_text(errors="replace"), log


def test_missing_packages_are_named_with_the_install_command(poc_cli, suites_copy, reports):
    launcher = suites_copy / "sogo" / "launcher.py"
    text = launcher.read_text()
    assert 'SOGOD = "/usr/sbin/sogod"' in text
    launcher.write_text(text.replace('SOGOD = "/usr/sbin/sogod"', 'SOGOD = "/usr/sbin/sogod-not-installed"'))
    env = new_mark()
    proc = poc_cli("provision", "--suite", "sogo", "--size", "XS", env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "missing /usr/sbin/sogod-not-installed" in proc.stderr
    assert "apt-get install -y sogo postgresql memcached nginx-light" in proc.stderr
    assert marked(env) == []
    summary, _ = _summary(reports)
    assert summary["status"] == "failed" and "sogod-not-installed" in summary["message"]
