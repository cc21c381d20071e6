"""The watcher inside a suite's network namespace: a DNS answerer that logs every query and a
capture of every frame the namespace sends out of an interface other than loopback.

    ip netns exec NAME python -m poc.isolation.capture OUT_DIR

Run inside the namespace (poc/isolation/__init__.py starts it). It writes, one JSON object a line
and flushed at once (so a scenario can read them during the run):

  OUT_DIR/dns.jsonl          every query: time, name, type, the answer given, the asking process
  OUT_DIR/connections.jsonl  every attempt to leave through the namespace's link (a TCP SYN, a UDP
                             datagram, an ICMP echo): time, protocol, address and port, the name it
                             was given for (a sinkhole address, below), the process where known
  OUT_DIR/counts.json        at the end: how many frames each attempt sent (TCP retries and so on)

Names on the internet are answered with an address of their own from 198.18.0.0/15 (RFC 2544's
benchmarking range, never routed on the internet), so a program goes on to connect and its port
is seen; the connection leads nowhere (the namespace's only link is a veth pair whose both ends
are inside it). Names that are not on the internet (one label, .local, .localhost, .invalid,
.internal, .home.arpa, reverse lookups of private addresses) get NXDOMAIN. Nothing is forwarded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

from . import dns, packets, procs

SINKHOLE = ipaddress.ip_network("198.18.0.0/15")
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".invalid", ".internal", ".home.arpa", ".lan")
MARK_PREFIX = "poc-isolation-mark-"  # the harness's own probe that the DNS log is up to date
MARK_ADDR, MARK_PORT = "192.0.2.53", 9  # and that the capture is (RFC 5737 TEST-NET-1, the discard port)


def is_local_name(name: str) -> bool:
    """A name that is not on the internet: nothing outside is reached by looking it up."""
    name = name.rstrip(".").lower()
    if "." not in name or name == "localhost" or name.endswith(LOCAL_SUFFIXES):
        return True
    if name == socket.gethostname().lower():
        return True
    for suffix, version in ((".in-addr.arpa", 4), (".ip6.arpa", 6)):
        if name.endswith(suffix):
            labels = name[: -len(suffix)].split(".")[::-1]
            try:
                if version == 4:
                    addr = ipaddress.ip_address(".".join(labels + ["0"] * (4 - len(labels))))
                else:
                    nibbles = "".join(labels).ljust(32, "0")
                    addr = ipaddress.ip_address(":".join(nibbles[i:i + 4] for i in range(0, 32, 4)))
            except ValueError:
                return True
            return not addr.is_global
    return False


def now() -> tuple[float, str]:
    t = time.time()
    return round(t, 3), dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds")


class Log:
    def __init__(self, path: Path):
        self.file = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, record: dict) -> None:
        with self.lock:
            self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.file.flush()


class Sinkhole:
    """One address of 198.18.0.0/15 per name, so a connection tells which name it was for."""

    def __init__(self):
        self.by_name: dict[str, str] = {}
        self.by_addr: dict[str, str] = {}
        self.hosts = SINKHOLE.hosts()
        self.lock = threading.Lock()

    def address(self, name: str) -> str:
        with self.lock:
            if name not in self.by_name:
                addr = str(next(self.hosts))
                self.by_name[name], self.by_addr[addr] = addr, name
            return self.by_name[name]


class Capture:
    def __init__(self, out: Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.dns_log = Log(self.out / "dns.jsonl")
        self.conn_log = Log(self.out / "connections.jsonl")
        self.sinkhole = Sinkhole()
        self.counts: dict[tuple, int] = {}
        self.stopping = threading.Event()
        self.errors: list[str] = []

    # -- DNS ------------------------------------------------------------------------------
    def handle_query(self, data: bytes, proto: str, port: int) -> bytes | None:
        try:
            q = dns.parse_query(data)
        except dns.BadMessage as exc:
            self.errors.append(f"bad DNS message from port {port}: {exc}")
            return None
        local = is_local_name(q.name)
        if local:
            reply, given = dns.answer(q, dns.NXDOMAIN), "NXDOMAIN"
        elif q.qtype == 1:
            addr = self.sinkhole.address(q.name)
            reply, given = dns.answer(q, a=addr), addr
        else:
            reply, given = dns.answer(q), "no records"
        t, iso = now()
        self.dns_log.write({"t": t, "time": iso, "name": q.name, "type": q.type_name, "answer": given,
                            "scope": "local" if local else "outside", "via": proto, "port": port,
                            "mark": q.name.startswith(MARK_PREFIX), "process": procs.owner(proto, port)})
        return reply

    def serve_udp(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                reply = self.handle_query(data, "udp", addr[1])
            except Exception as exc:  # keep answering
                self.errors.append(f"query from port {addr[1]}: {type(exc).__name__}: {exc}")
                reply = None
            if reply:
                try:
                    sock.sendto(reply, addr)
                except OSError:
                    pass

    def serve_tcp(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                conn, addr = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=self._tcp_client, args=(conn, addr), daemon=True).start()

    def _tcp_client(self, conn: socket.socket, addr) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while True:
                    head = conn.recv(2)
                    if len(head) < 2:
                        return
                    size = struct.unpack("!H", head)[0]
                    data = b""
                    while len(data) < size:
                        chunk = conn.recv(size - len(data))
                        if not chunk:
                            return
                        data += chunk
                    reply = self.handle_query(data, "tcp", addr[1])
                    if reply is None:
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return

    # -- frames ---------------------------------------------------------------------------
    def sniff(self, sock: socket.socket) -> None:
        sock.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                frame, addr = sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                self.frame(frame, addr)
            except Exception as exc:  # one odd frame must not end the capture
                self.errors.append(f"frame on {addr[0]}: {type(exc).__name__}: {exc}")

    def frame(self, frame: bytes, addr) -> None:
        ifname, _proto, pkttype = addr[0], addr[1], addr[2]
        if ifname == "lo" or pkttype != packets.PACKET_OUTGOING:
            return
        attempt = packets.parse(frame)
        if attempt is None:
            return
        key = attempt.key
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] > 1:
            return
        t, iso = now()
        name = self.sinkhole.by_addr.get(attempt.dst)
        owner = (procs.owner(attempt.proto, attempt.sport, attempt.src, attempt.dst, attempt.dport)
                 if attempt.proto in ("tcp", "udp") else None)
        self.conn_log.write({"t": t, "time": iso, "interface": ifname, "proto": attempt.proto,
                             "src": attempt.src, "sport": attempt.sport, "dst": attempt.dst,
                             "dport": attempt.dport, "name": name,
                             "scope": "outside" if name else packets.scope(attempt.dst),
                             "mark": attempt.dst == MARK_ADDR and attempt.dport == MARK_PORT, "process": owner})

    # -- the whole ------------------------------------------------------------------------
    def run(self, dns_host: str = "127.0.0.1", dns_port: int = 53) -> None:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.bind((dns_host, dns_port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((dns_host, dns_port))
        tcp.listen(16)
        raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        threads = [threading.Thread(target=f, args=(s,), daemon=True)
                   for f, s in ((self.serve_udp, udp), (self.serve_tcp, tcp), (self.sniff, raw))]
        for th in threads:
            th.start()
        (self.out / "capture.ready").write_text(json.dumps({"pid": os.getpid(), "started": now()[1]}))
        try:
            while not self.stopping.is_set():
                self.stopping.wait(0.5)
        finally:
            for th in threads:
                th.join(2)
            for s in (udp, tcp, raw):
                s.close()
            self.write_counts()

    def write_counts(self) -> None:
        rows = [{"proto": k[0], "src": k[1], "sport": k[2], "dst": k[3], "dport": k[4], "frames": n}
                for k, n in self.counts.items()]
        (self.out / "counts.json").write_text(json.dumps({"frames": rows, "sinkhole": self.sinkhole.by_name,
                                                          "errors": self.errors[-50:]}, indent=1))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m poc.isolation.capture OUT_DIR", file=sys.stderr)
        return 2
    capture = Capture(Path(argv[0]))
    signal.signal(signal.SIGTERM, lambda *_: capture.stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the scenarios; the harness stops us after them
    capture.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
