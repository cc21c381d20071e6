"""The project's own test hosts: network namespaces on this machine joined by virtual links.

A municipality (size M, 10,000 pupils) needs several load-generator hosts. To prove Locust's
master/worker mode across separate hosts without other machines, each host is a network namespace
of its own (the master, each worker, the suite), with its own loopback and one veth link to a bridge
in a further namespace (the switch). The addresses are in 10.254.7.0/24 (RFC 1918), used only inside
these namespaces; no namespace has a default route or any link to the machine's own network, so no
packet can leave them for any other address (`sealed()` checks this, and that an outside address is
unreachable from inside). Everything is removed at the end, and only what was started in them is ended.

Needs root and `ip` (iproute2).

    with TestNetwork(["master", "w1", "w2", "suite"]) as net:
        net.command("w1", ["python", ...])      # ip netns exec <w1's namespace> python ...
        net.address("master")                   # 10.254.7.1
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time

from ..errors import PocError

SUBNET = "10.254.7"   # /24, private, used only inside the test network's namespaces
PREFIX_LEN = 24
OUTSIDE_PROBE = ("1.1.1.1", 443)  # an address outside: must be unreachable from every test host


def problem() -> str | None:
    """Why the test network cannot be made here, or None."""
    if os.geteuid() != 0:
        return "the test network of namespaces needs root (ip netns)"
    if not shutil.which("ip"):
        return "the test network needs iproute2's `ip` (apt-get install -y iproute2)"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise PocError(f"`ip {' '.join(args)}` failed: {(result.stderr or result.stdout).strip()}")
    return result


class TestNetwork:
    __test__ = False  # not a pytest test class

    def __init__(self, hosts: list[str], tag: str | None = None):
        self.tag = tag or secrets.token_hex(3)
        self.hosts = list(hosts)
        if len(self.hosts) > 200:
            raise PocError("the test network holds at most 200 hosts")
        self.switch = f"pocnet-{self.tag}-sw"
        self.names = {h: f"pocnet-{self.tag}-{h}" for h in self.hosts}
        self.addresses = {h: f"{SUBNET}.{i}" for i, h in enumerate(self.hosts, 1)}
        self.created: list[str] = []

    # -- making and removing it ------------------------------------------------------------------
    def __enter__(self) -> "TestNetwork":
        self.create()
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def create(self) -> None:
        why = problem()
        if why:
            raise PocError(why)
        try:
            self._add(self.switch)
            _ip("-n", self.switch, "link", "set", "lo", "up")
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
            for i, host in enumerate(self.hosts):
                ns = self.names[host]
                self._add(ns)
                port, temp = f"p{i}", f"h{i}"
                # both ends made in the switch, one moved into the host and named eth0 there
                _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", temp)
                _ip("-n", self.switch, "link", "set", temp, "netns", ns)
                _ip("-n", ns, "link", "set", temp, "name", "eth0")
                _ip("-n", self.switch, "link", "set", port, "master", "br0")
                _ip("-n", self.switch, "link", "set", port, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
                _ip("-n", ns, "addr", "add", f"{self.addresses[host]}/{PREFIX_LEN}", "dev", "eth0")
                _ip("-n", ns, "link", "set", "eth0", "up")
            self._wait_links()
        except BaseException:
            self.destroy()
            raise

    def _add(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self.created.append(ns)

    def _wait_links(self, timeout: float = 10) -> None:
        """Until every host reaches every other over the bridge (the bridge ports leave `listening`)."""
        deadline = time.monotonic() + timeout
        first = self.hosts[0]
        for host in self.hosts[1:]:
            while True:  # a closed port that answers "refused" is a host that is reached
                r = subprocess.run(self.command(first, ["python3", "-c", _PROBE, self.addresses[host], "9"]),
                                   capture_output=True, text=True, timeout=10)
                said = (r.stdout + r.stderr).strip()
                if "errno 111" in said:
                    break
                if time.monotonic() > deadline:
                    raise PocError(f"test network: {first} cannot reach {host} ({self.addresses[host]}): {said[-300:]}")
                time.sleep(0.2)

    def pids(self, ns: str) -> list[int]:
        out = _ip("netns", "pids", ns, check=False).stdout
        return [int(p) for p in out.split() if p.isdigit()]

    def destroy(self) -> list[int]:
        """End what still runs in the namespaces (all of it started here, for this network), remove them.
        Returns the PIDs that had to be ended."""
        ended = []
        for ns in self.created:
            for pid in self.pids(ns):
                ended.append(pid)
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        while ended and time.monotonic() < deadline and any(_alive(p) for p in ended):
            time.sleep(0.1)
        for pid in ended:
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for ns in reversed(self.created):
            _ip("netns", "del", ns, check=False)
        self.created = []
        return ended

    # -- inside it -------------------------------------------------------------------------------
    def command(self, host: str, argv: list[str], env: dict | None = None) -> list[str]:
        """argv run on `host` (`ip netns exec` execs it, so its PID is the command's own)."""
        prefix = ["ip", "netns", "exec", self.names[host]]
        if env:
            prefix += ["env", *(f"{k}={v}" for k, v in env.items())]
        return prefix + [str(a) for a in argv]

    def address(self, host: str) -> str:
        return self.addresses[host]

    def links(self, ns: str) -> dict[str, dict]:
        data = json.loads(_ip("-n", ns, "-d", "-j", "link", "show").stdout or "[]")
        return {link["ifname"]: link for link in data}

    def routes(self, ns: str) -> list[str]:
        out = _ip("-n", ns, "route", "show").stdout + _ip("-n", ns, "-6", "route", "show", check=False).stdout
        return [line.strip() for line in out.splitlines() if line.strip()]

    def sealed(self) -> dict:
        """The proof that nothing can leave the test network: every host has only lo and its eth0 (whose
        peer is in the switch), no route but its own subnet's, the switch only its bridge and ports, and a
        connection to an outside address fails from every host ("Network is unreachable")."""
        problems, out = [], {"subnet": f"{SUBNET}.0/{PREFIX_LEN}", "hosts": {}}
        for host in self.hosts:
            ns = self.names[host]
            links = self.links(ns)
            if set(links) != {"lo", "eth0"}:
                problems.append(f"{host}: links {sorted(links)}")
            routes = self.routes(ns)
            if any(not r.startswith(f"{SUBNET}.0/{PREFIX_LEN}") and not r.startswith("fe80::") for r in routes):
                problems.append(f"{host}: routes {routes}")
            probe = subprocess.run(self.command(host, ["python3", "-c", _PROBE, *map(str, OUTSIDE_PROBE)]),
                                   capture_output=True, text=True, timeout=20)
            said = (probe.stdout + probe.stderr).strip()
            if "unreachable" not in said.lower() and "errno 101" not in said.lower():
                problems.append(f"{host}: a connection to {OUTSIDE_PROBE[0]} did not fail as unreachable: {said[-200:]}")
            out["hosts"][host] = {"namespace": ns, "address": self.addresses[host], "links": sorted(links),
                                  "routes": routes, "outside": said[-200:]}
        switch = self.links(self.switch)
        others = [n for n, link in switch.items() if n != "lo" and n != "br0" and
                  (link.get("linkinfo") or {}).get("info_kind") != "veth"]
        if others:
            problems.append(f"switch: unexpected links {others}")
        out["ok"], out["problems"] = not problems, problems
        return out


_PROBE = """
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("CONNECTED")
except OSError as exc:
    print(f"{type(exc).__name__}: errno {exc.errno}: {exc.strerror}")
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
