"""PRI-07, no telemetry by default: a local suite evaluated in a network namespace of its own.

``python -m poc evaluate`` (as root, with ``ip``) runs the whole scenario process, and so the suite
it starts, the browser and the load generator, inside a fresh namespace ``poc-<hash of run id>``:

- ``lo``, and a veth pair ``v0``/``v1`` whose *both* ends are inside the namespace: ``v1`` has
  10.255.0.2/30 and fd00:255::2/64 and the default routes, through a gateway that is ``v0`` itself
  (a permanent neighbour entry, so no ARP is needed); ``v0`` has no address and the namespace does not
  forward, so whatever leaves through the link arrives at ``v0`` and ends there. There is no link to
  the host's network at all (there is no ``dummy`` link type on every machine: a veth pair is);
- a DNS answerer on 127.0.0.1:53 (``/etc/netns/<name>/resolv.conf``, which ``ip netns exec``
  mounts over /etc/resolv.conf) that logs every query and forwards nothing; and a capture of
  every frame sent out of ``v0``/``v1`` (poc/isolation/capture.py, run inside the namespace);
- before the scenarios start, a self-check proves the seal: the namespace holds only ``lo`` and the
  veth pair with both ends inside, and a connection to a public address from inside fails while the
  host's own interfaces, watched at the same time, see no frame of it.

The scenarios reach the suite on the namespace's 127.0.0.1 as before. At the end the PRI-07
scenario (scenarios/api/test_phone_home.py) lists what the suite looked up and tried to reach
(poc/isolation/judge.py). Everything lands in ``reports/runs/<id>/evidence/isolation/``.

Suites run *as shipped* here: a launcher that silences a suite's own network traffic outside the
namespace (Kolibri's telemetry ping) leaves it on when :func:`as_shipped` is true.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import PocError
from .judge import NAMESPACE_FILE

ENV_DIR = "POC_ISOLATION_DIR"   # set for the scenarios: the capture's folder (the run is isolated)
ENV_OFF = "POC_ISOLATION_OFF"   # set for the scenarios: why the run is not isolated
FOLDER = "isolation"            # under the run's evidence/
LINK_ADDR, GATEWAY = "10.255.0.2/30", "10.255.0.1"
LINK_ADDR6, GATEWAY6 = "fd00:255::2/64", "fd00:255::1"
PROOF_TARGET = ("1.1.1.1", 443)  # a public address for the self-check


def add_argument(parser) -> None:
    parser.add_argument("--isolate", choices=("auto", "on", "off"),
                        default={"0": "off", "1": "on"}.get(os.environ.get("ISOLATE", ""), "auto"),
                        help="run a local suite in a network namespace of its own and record what it tries to "
                             "reach (PRI-07); auto: when run as root with `ip` (default; ISOLATE=0/1)")


def problem() -> str | None:
    """Why a namespace cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network isolation needs root (ip netns)"
    if not shutil.which("ip"):
        return "network isolation needs `ip` (apt-get install -y iproute2)"
    if not Path("/proc/self/ns/net").exists():
        return "this kernel has no network namespaces"
    return None


def as_shipped() -> bool:
    """True inside an isolated run: a launcher then leaves the suite's network defaults as shipped."""
    return bool(os.environ.get(ENV_DIR))


def attached() -> Path | None:
    """The capture folder of the isolated run this process belongs to, or None."""
    folder = os.environ.get(ENV_DIR)
    return Path(folder) if folder else None


def confirm_capture(folder: Path, timeout: float = 5.0) -> str | None:
    """Make one marked lookup and one marked datagram from here and wait until the capture has logged
    both: then everything before them is in its logs. Returns what is missing, or None."""
    from .capture import MARK_ADDR, MARK_PORT, MARK_PREFIX
    token = f"{MARK_PREFIX}{os.getpid()}-{time.time_ns()}.invalid"
    try:
        socket.getaddrinfo(token, 9, proto=socket.IPPROTO_UDP)
    except OSError:
        pass  # NXDOMAIN is the answer
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.sendto(token.encode(), (MARK_ADDR, MARK_PORT))
            port = s.getsockname()[1]
        except OSError as exc:
            return f"the marked datagram could not be sent: {exc}"
    deadline = time.monotonic() + timeout
    while True:
        dns_ok = any(r.get("name") == token for r in _jsonl(Path(folder) / "dns.jsonl"))
        frame_ok = any(r.get("mark") and r.get("sport") == port for r in _jsonl(Path(folder) / "connections.jsonl"))
        if dns_ok and frame_ok:
            return None
        if time.monotonic() > deadline:
            return ", ".join(m for m, ok in (("the DNS answerer did not log the harness's marked lookup", dns_ok),
                                             ("the capture did not see the harness's marked datagram", frame_ok))
                             if not ok)
        time.sleep(0.1)


def not_isolated_reason() -> str:
    return os.environ.get(ENV_OFF) or ("the scenarios ran without network isolation (run them with "
                                       "`python -m poc evaluate` as root to isolate a local suite)")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise PocError(f"`ip {' '.join(args)}` failed: {(result.stderr or result.stdout).strip()}")
    return result


class Namespace:
    """A network namespace with loopback and a veth pair that leads nowhere; see the module doc."""

    def __init__(self, name: str, folder: Path):
        self.name = name
        self.folder = Path(folder)
        self.etc = Path("/etc/netns") / name
        self.capture: subprocess.Popen | None = None
        self.info: dict = {"name": name}

    # -- making and removing it -------------------------------------------------------------
    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _ip("netns", "add", self.name)
        try:
            self._configure()
        except BaseException:
            self.destroy()
            raise

    def _configure(self) -> None:
        n = self.name
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.etc / "resolv.conf").write_text("# the namespace's DNS answerer (poc/isolation/capture.py)\n"
                                              "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
        _ip("-n", n, "link", "set", "lo", "up")
        _ip("-n", n, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        self.sysctl({"net/ipv4/ip_forward": "0", "net/ipv6/conf/all/forwarding": "0",
                     "net/ipv6/conf/v0/disable_ipv6": "1", "net/ipv6/conf/v1/accept_ra": "0",
                     "net/ipv6/conf/v1/router_solicitations": "0", "net/ipv6/conf/v1/accept_dad": "0"})
        _ip("-n", n, "addr", "add", LINK_ADDR, "dev", "v1")
        _ip("-n", n, "-6", "addr", "add", LINK_ADDR6, "dev", "v1", "nodad")
        _ip("-n", n, "link", "set", "v0", "up")
        _ip("-n", n, "link", "set", "v1", "up")
        mac = self.links()["v0"]["address"]
        _ip("-n", n, "neigh", "replace", GATEWAY, "lladdr", mac, "dev", "v1", "nud", "permanent")
        _ip("-n", n, "-6", "neigh", "replace", GATEWAY6, "lladdr", mac, "dev", "v1", "nud", "permanent")
        _ip("-n", n, "route", "add", "default", "via", GATEWAY, "dev", "v1")
        _ip("-n", n, "-6", "route", "add", "default", "via", GATEWAY6, "dev", "v1")

    def sysctl(self, values: dict[str, str]) -> None:
        script = "; ".join(f"echo {v} > /proc/sys/{k}" for k, v in values.items())
        result = subprocess.run(["ip", "netns", "exec", self.name, "sh", "-c", script], capture_output=True,
                                text=True, timeout=30)
        if result.returncode != 0:
            raise PocError(f"setting {', '.join(values)} in namespace {self.name} failed: {result.stderr.strip()}")

    def links(self) -> dict[str, dict]:
        data = json.loads(_ip("-n", self.name, "-d", "-j", "link", "show").stdout or "[]")
        return {link["ifname"]: link for link in data}

    def pids(self) -> list[int]:
        out = _ip("netns", "pids", self.name, check=False).stdout
        return [int(p) for p in out.split() if p.isdigit()]

    def destroy(self) -> list[dict]:
        """Stop the capture, end what is still running inside (the harness started it all), remove
        the namespace and its /etc/netns folder. Returns what had to be ended."""
        self.stop_capture()
        left = []
        for pid in self.pids():
            left.append({"pid": pid, "comm": _comm(pid)})
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline and any(_alive(p["pid"]) for p in left):
            time.sleep(0.1)
        for p in left:
            if _alive(p["pid"]):
                _kill(p["pid"], signal.SIGKILL)
        _ip("netns", "del", self.name, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)
        return left

    # -- inside it --------------------------------------------------------------------------
    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *map(str, argv)]

    def start_capture(self, timeout: float = 10) -> None:
        ready = self.folder / "capture.ready"
        ready.unlink(missing_ok=True)
        log = open(self.folder / "capture.log", "ab")
        self.capture = subprocess.Popen(
            self.command([sys.executable, "-m", "poc.isolation.capture", str(self.folder)]),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            cwd=str(Path(__file__).resolve().parents[2]), env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        log.close()
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.capture.poll() is not None or time.monotonic() > deadline:
                text = (self.folder / "capture.log").read_text(errors="replace")[-1500:]
                self.stop_capture()
                raise PocError(f"the namespace's DNS answerer and capture did not start: {text}")
            time.sleep(0.05)

    def stop_capture(self) -> None:
        proc, self.capture = self.capture, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def run(self, argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv), capture_output=True, text=True, timeout=timeout)

    # -- the proof that nothing leaves ------------------------------------------------------
    def prove_sealed(self) -> dict:
        """The self-check: only lo and the veth pair (both ends inside), and a connection to a public
        address from inside fails while the host's interfaces, watched meanwhile, carry no frame of it."""
        links = self.links()
        veth_out = [n for n, link in links.items()
                    if (link.get("linkinfo") or {}).get("info_kind") == "veth" and "link_netnsid" in link]
        others = sorted(set(links) - {"lo", "v0", "v1"})
        host = HostWatch(*PROOF_TARGET)
        host.start()
        try:
            probe = self.run([sys.executable, "-c", _PROBE.format(host=PROOF_TARGET[0], port=PROOF_TARGET[1])],
                             timeout=20)
        finally:
            time.sleep(0.3)
            seen_on_host = host.stop()
        try:
            result = json.loads(probe.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = {"error": (probe.stdout + probe.stderr).strip()[-300:], "port": None}
        sport = result.get("port")
        time.sleep(0.3)
        inside = [r for r in _jsonl(self.folder / "connections.jsonl")
                  if r.get("dst") == PROOF_TARGET[0] and r.get("dport") == PROOF_TARGET[1] and r.get("sport") == sport]
        leaked = [f for f in seen_on_host if f.get("sport") == sport] if sport else seen_on_host
        lookup = [r for r in _jsonl(self.folder / "dns.jsonl") if r.get("name") == result.get("looked_up")]
        ok = (not others and not veth_out and bool(result.get("failed")) and bool(inside) and not leaked
              and bool(lookup))
        proof = {"ok": ok, "interfaces": sorted(links), "veth_peer_outside": veth_out, "unexpected_interfaces": others,
                 "connection": {"to": f"{PROOF_TARGET[0]}:{PROOF_TARGET[1]}", **result},
                 "seen_leaving_through_the_link": bool(inside), "host_interfaces_watched": host.interfaces,
                 "frames_of_it_on_the_host": len(leaked), "host_watch_error": host.error,
                 "dns_answerer_logged_the_lookup": bool(lookup), "routes": self.routes()}
        if not ok:
            why = []
            if others or veth_out:
                why.append(f"unexpected links {others or veth_out}")
            if not result.get("failed"):
                why.append(f"a connection to {PROOF_TARGET[0]}:{PROOF_TARGET[1]} did not fail ({result})")
            if not inside:
                why.append("the capture did not see the attempt leave through the link")
            if leaked:
                why.append(f"{len(leaked)} frame(s) of it seen on the host's interfaces")
            if not lookup:
                why.append("the DNS answerer did not log the self-check's lookup")
            proof["why"] = "; ".join(why)
        return proof

    def routes(self) -> list[str]:
        out = []
        for family in ("-4", "-6"):
            out += [line.strip() for line in _ip("-n", self.name, family, "route", check=False).stdout.splitlines()
                    if line.strip()]
        return out


# the self-check's program inside the namespace: a lookup through the answerer, then a connection
_PROBE = """
import json, socket
name = "poc-isolation-mark-selfcheck.invalid"
try:
    socket.getaddrinfo(name, 443)
except OSError:
    pass
s = socket.socket(); s.settimeout(1.5)
try:
    s.connect(({host!r}, {port})); failed, err = False, ""
except OSError as e:
    failed, err = True, type(e).__name__ + ": " + str(e)
print(json.dumps({{"failed": failed, "error": err, "port": s.getsockname()[1], "looked_up": name}}))
"""


class HostWatch:
    """Watches the host's own interfaces (AF_PACKET in the host's namespace) for TCP frames to one
    address and port, for the self-check: the proof that the namespace's attempt never reached them."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.frames: list[dict] = []
        self.interfaces = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
        self.error = ""
        self._sock = None
        self._thread = None
        self._stop = False

    def start(self) -> None:
        import threading
        try:
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            self._sock.settimeout(0.2)
        except OSError as exc:
            self.error = f"could not watch the host's interfaces: {exc}"
            return
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        from . import packets
        while not self._stop:
            try:
                frame, addr = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            a = packets.parse(frame) if addr[0] != "lo" else None
            if a and a.dst == self.host and a.dport == self.port:
                self.frames.append({"interface": addr[0], "sport": a.sport, "proto": a.proto})

    def stop(self) -> list[dict]:
        self._stop = True
        if self._thread:
            self._thread.join(2)
        if self._sock:
            self._sock.close()
        return list(self.frames)


def _jsonl(path: Path) -> list[dict]:
    from .judge import _lines
    return _lines(path)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def namespace_name(run_id: str) -> str:
    return "poc-" + hashlib.sha1(run_id.encode()).hexdigest()[:10]


class Isolation:
    """The namespace of one evaluate run, or the reason there is none (``active`` False)."""

    def __init__(self, namespace: Namespace | None = None, reason: str = ""):
        self.namespace, self.reason = namespace, reason
        self._stopped = False

    @property
    def active(self) -> bool:
        return self.namespace is not None

    def command(self, argv: list[str]) -> list[str]:
        return self.namespace.command(argv) if self.active else argv

    def environ(self) -> dict:
        env = dict(os.environ)
        env.pop(ENV_DIR, None)
        env.pop(ENV_OFF, None)
        if self.active:
            env[ENV_DIR] = str(self.namespace.folder)
        else:
            env[ENV_OFF] = self.reason
        return env

    def started(self, pid: int) -> None:
        """The scenario process is running inside (ip netns exec execs it: the pid is pytest's)."""
        if self.active:
            self.namespace.info["scenarios"] = {"pid": pid, "t": round(self._t0, 3)}
            self._write()

    def mark_start(self) -> None:
        self._t0 = time.time()

    def stop(self) -> None:
        if not self.active or self._stopped:
            return
        self._stopped = True
        left = self.namespace.destroy()
        self.namespace.info["removed"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if left:
            self.namespace.info["ended_at_removal"] = left
        self._write()

    def _write(self) -> None:
        path = self.namespace.folder / NAMESPACE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.namespace.info, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def start_for(args, suite, run_dir: Path, progress=print) -> Isolation:
    """The isolation of an evaluate run: a namespace with its capture running and its seal proven,
    or the reason the run is not isolated (which PRI-07 then names as `not-tested`)."""
    wanted = getattr(args, "isolate", "auto")
    if getattr(args, "url", None):
        return Isolation(reason="external mode: what the deployment tries to reach is not observable from the "
                                "harness (a manual assessment may settle PRI-07)")
    if suite.mode != "local":
        return Isolation(reason=f"{suite.mode} mode: the harness isolates local suites only (for a compose "
                                "suite, see the README: an internal network)")
    if wanted == "off":
        return Isolation(reason="network isolation was switched off (--isolate off / ISOLATE=0)")
    why = problem()
    if why:
        if wanted == "on":
            raise PocError(f"--isolate on: {why}")
        return Isolation(reason=why)
    ns = Namespace(namespace_name(run_dir.name), Path(run_dir) / "evidence" / FOLDER)
    iso = Isolation(ns)
    try:
        ns.create()
        atexit.register(iso.stop)
        ns.start_capture()
        proof = ns.prove_sealed()
        ns.info.update(created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), proof=proof,
                       interfaces={k: {"kind": (v.get("linkinfo") or {}).get("info_kind", "loopback" if k == "lo" else ""),
                                       "mac": v.get("address")} for k, v in ns.links().items()})
        iso._write()
        if not proof["ok"]:
            raise PocError(f"network namespace {ns.name} is not sealed: {proof.get('why')}")
    except (PocError, OSError, subprocess.SubprocessError) as exc:
        iso.stop()
        if wanted == "on":
            raise PocError(f"--isolate on: {exc}") from exc
        progress(f"warning: running without network isolation: {exc}")
        return Isolation(reason=f"network isolation could not be set up: {exc}")
    except BaseException:
        iso.stop()
        raise
    progress(f"isolated in network namespace {ns.name}: only loopback and a veth pair that leads nowhere; "
             f"a connection to {PROOF_TARGET[0]}:{PROOF_TARGET[1]} from inside failed and no frame of it "
             f"reached the host's interfaces")
    iso.mark_start()
    return iso
