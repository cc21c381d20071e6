"""PRI-07's network namespace (poc/isolation): sealed, and its capture sees a planted phone-home.

A real namespace is made here (root and `ip` needed; CI runs as root): the self-check proves that a
connection to a public address from inside fails and no frame of it reaches the host's interfaces;
a small program that looks up and connects to an outside name, and to a public address, is recorded
with the name, the addresses, the ports and its process, and fails the verdict; a quiet program
(loopback only) leaves nothing; a process of the harness's own is listed but not counted."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from poc import isolation
from poc.isolation import judge
from poc.isolation.capture import is_local_name

WHY = isolation.problem()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"needs a network namespace: {WHY}")

PHONE_HOME = """
import socket
for target in (("telemetry.example.com", 443), ("1.1.1.1", 443)):
    s = socket.socket(); s.settimeout(0.8)
    try:
        s.connect(target)
    except OSError as e:
        print(target[0], type(e).__name__)
"""

QUIET = """
import socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
socket.getaddrinfo("localhost", 80)
c = socket.create_connection(srv.getsockname(), timeout=2); conn, _ = srv.accept()
c.sendall(b"hello"); assert conn.recv(5) == b"hello"
print("quiet")
"""


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("isolation")
    namespace = isolation.Namespace(isolation.namespace_name(f"test-{time.time_ns()}"), folder)
    namespace.create()
    try:
        namespace.start_capture()
        namespace.proof = namespace.prove_sealed()
        yield namespace
    finally:
        namespace.destroy()


def _run(ns, program: str, *, suite: bool, harness: bool = False):
    """Run `program` inside; returns what the capture made of everything from then on."""
    t0 = time.time()
    env = {"PATH": "/usr/bin:/bin", **({"POC_SUITE_PROCESS": "1"} if suite else {})}
    proc = subprocess.Popen(ns.command([sys.executable, "-c", program]), env=env, stdout=subprocess.PIPE, text=True)
    (ns.folder / judge.NAMESPACE_FILE).write_text(json.dumps({"scenarios": {"t": t0, "pid": proc.pid if harness else None}}))
    out, _ = proc.communicate(timeout=30)
    time.sleep(0.5)
    return out, judge.read(ns.folder)


def test_the_namespace_is_sealed(ns):
    proof = ns.proof
    assert proof["ok"], proof
    assert proof["interfaces"] == ["lo", "v0", "v1"] and proof["veth_peer_outside"] == []
    assert proof["connection"]["failed"] and proof["seen_leaving_through_the_link"]
    assert proof["frames_of_it_on_the_host"] == 0 and not proof["host_watch_error"]
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True).stdout)
    host_links = {link["ifname"] for link in links}
    assert not {"v0", "v1"} & host_links, "a veth end of the namespace is on the host"
    assert any(r.startswith("default via") for r in proof["routes"])


def test_a_planted_phone_home_is_recorded_and_fails(ns):
    out, capture = _run(ns, PHONE_HOME, suite=True)
    assert "telemetry.example.com" in out and "1.1.1.1" in out  # both attempts failed inside
    outside = [a for a in capture.attempts if a.scope == "outside"]
    lookups = [a for a in outside if a.kind == "lookup"]
    conns = {(a.host, a.port, a.proto) for a in outside if a.kind == "connection"}
    assert {a.host for a in lookups} == {"telemetry.example.com"}
    assert ("telemetry.example.com", 443, "tcp") in conns and ("1.1.1.1", 443, "tcp") in conns
    assert all(a.who == "suite" and a.process and a.process["comm"].startswith("python") for a in outside)
    named = [a for a in outside if a.kind == "connection" and a.host == "telemetry.example.com"]
    assert named[0].address.startswith("198.18.")  # the sinkhole address given for the name
    verdict, message = judge.judgement(capture, "planted")
    assert verdict == "fail", message
    assert "telemetry.example.com (443/tcp)" in message and "1.1.1.1 (443/tcp)" in message


def test_a_quiet_program_leaves_nothing(ns):
    out, capture = _run(ns, QUIET, suite=True)
    assert "quiet" in out
    assert [a for a in capture.attempts if a.scope == "outside"] == []
    assert judge.judgement(capture, "quiet")[0] == "pass"


def test_the_harness_own_attempts_are_listed_not_counted(ns):
    _, capture = _run(ns, PHONE_HOME, suite=False, harness=True)
    outside = [a for a in capture.attempts if a.scope == "outside"]
    assert outside and {a.who for a in outside} == {"harness"}
    verdict, message = judge.judgement(capture, "quiet")
    assert verdict == "pass" and "not counted" in message and "telemetry.example.com" in message


def test_local_names_are_not_outside():
    for name in ("localhost", "vm", "db.local", "x.invalid", "1.0.0.127.in-addr.arpa", "5.1.168.192.in-addr.arpa"):
        assert is_local_name(name), name
    for name in ("telemetry.learningequality.org", "1.1.1.1.in-addr.arpa", "example.com"):
        assert not is_local_name(name), name
