"""What a suite tried to reach from its namespace, read from the capture (poc/isolation/capture.py),
and the PRI-07 verdict on it.

Every lookup and connection attempt is given to whoever made it:

- ``suite``: the process carries the suite mark (the environment the harness gives a local suite's
  processes, POC_SUITE_PROCESS) or descends from one of the suite's servers;
- ``harness``: it descends from the scenario process (pytest) and is not the suite's: the browser,
  the load generator, the conformance tools;
- ``unknown``: the process could not be found (it had ended, or it left the harness's tree).

Only what the suite tried counts against it; an attempt by an unknown process is not the suite's
fault until shown (an `error`); the harness's own are listed but do not count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

NAMESPACE_FILE = "namespace.json"


@dataclass
class Attempt:
    kind: str            # lookup | connection
    t: float
    time: str
    host: str            # the name looked up or connected to, or the address
    address: str | None  # the address (connections)
    port: int | None
    proto: str
    scope: str           # outside | local
    who: str             # suite | harness | unknown
    process: dict | None
    frames: int = 1
    after: bool = False  # after the verdict was given (during shutdown)

    @property
    def process_text(self) -> str:
        p = self.process
        if not p:
            return "process not known"
        return f"{p.get('comm') or '?'} (pid {p.get('pid')})"

    @property
    def target(self) -> str:
        if self.kind == "lookup":
            return f"{self.host} ({self.proto})"
        port = f":{self.port}" if self.port is not None else ""
        via = f" = {self.address}" if self.address and self.address != self.host else ""
        return f"{self.host}{port}/{self.proto}{via}"


@dataclass
class Capture:
    folder: Path
    namespace: dict = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)


def _lines(path: Path) -> list[dict]:
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line being written
    return out


def who(process: dict | None, suite_pids: set[int], harness_pid: int | None) -> str:
    if not process:
        return "unknown"
    chain = {c.get("pid") for c in process.get("chain") or []}
    if process.get("suite_mark") or chain & suite_pids:
        return "suite"
    if harness_pid and harness_pid in chain:
        return "harness"
    return "unknown"


def read(folder: Path, suite_pids: set[int] | None = None, harness_pid: int | None = None,
         until: float | None = None) -> Capture:
    """Everything the namespace's processes tried after the scenarios started; `until` marks what
    came after the verdict."""
    folder = Path(folder)
    try:
        ns = json.loads((folder / NAMESPACE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        ns = {}
    suite_pids = set(suite_pids or ns.get("suite_pids") or [])
    harness_pid = harness_pid or (ns.get("scenarios") or {}).get("pid")
    since = (ns.get("scenarios") or {}).get("t", 0)  # before it: the namespace's own self-check
    out = Capture(folder, ns)
    looked_up: dict[str, str] = {}
    for r in _lines(folder / "dns.jsonl"):
        if r.get("mark") or r.get("t", 0) < since:
            continue
        w = who(r.get("process"), suite_pids, harness_pid)
        if r.get("scope") == "outside":
            looked_up[r["name"]] = "suite" if w == "suite" or looked_up.get(r["name"]) == "suite" else w
        out.attempts.append(Attempt("lookup", r["t"], r.get("time", ""), r["name"], None, None, r.get("type", "?"),
                                    r.get("scope", "outside"), w, r.get("process"),
                                    after=bool(until and r["t"] > until)))
    try:
        counts = json.loads((folder / "counts.json").read_text(encoding="utf-8")).get("frames", [])
    except (OSError, ValueError):
        counts = []
    frames = {(c["proto"], c["src"], c["sport"], c["dst"], c["dport"]): c["frames"] for c in counts}
    for r in _lines(folder / "connections.jsonl"):
        if r.get("mark") or r.get("t", 0) < since:
            continue
        w = who(r.get("process"), suite_pids, harness_pid)
        if w == "unknown" and r.get("name") in looked_up:  # given to whoever looked the name up
            w = looked_up[r["name"]]
        out.attempts.append(Attempt("connection", r["t"], r.get("time", ""), r.get("name") or r["dst"], r["dst"],
                                    r.get("dport"), r.get("proto", "?"), r.get("scope", "outside"), w,
                                    r.get("process"),
                                    frames.get((r.get("proto"), r.get("src"), r.get("sport"), r.get("dst"),
                                                r.get("dport")), 1),
                                    after=bool(until and r["t"] > until)))
    out.attempts.sort(key=lambda a: a.t)
    return out


def hosts(attempts: list[Attempt]) -> list[str]:
    """The outside hosts in `attempts`, each once, with the ports tried: 'name (443/tcp)'."""
    seen: dict[str, set[str]] = {}
    for a in attempts:
        ports = seen.setdefault(a.host, set())
        if a.kind == "connection":
            ports.add(f"{a.port}/{a.proto}" if a.port is not None else a.proto)
    return [f"{h} ({', '.join(sorted(p))})" if p else f"{h} (looked up)" for h, p in seen.items()]


def judgement(capture: Capture, suite: str) -> tuple[str, str]:
    """('pass'|'fail'|'error', message) on what the suite tried before the verdict."""
    judged = [a for a in capture.attempts if a.scope == "outside" and not a.after]
    mine = [a for a in judged if a.who == "suite"]
    if mine:
        procs = sorted({a.process_text for a in mine if a.process})
        return "fail", (f"{suite} tried to reach {len(hosts(mine))} outside host(s) from its namespace: "
                        + "; ".join(hosts(mine)) + (f" (by {', '.join(procs)})" if procs else ""))
    unknown = [a for a in judged if a.who == "unknown"]
    if unknown:
        return "error", ("something in the namespace tried to reach " + "; ".join(hosts(unknown))
                         + ", and the harness could not tell which process: not the suite's fault until shown")
    harness = [a for a in judged if a.who == "harness"]
    tail = (f" (the harness's own processes tried {'; '.join(hosts(harness))}: not counted)" if harness else "")
    return "pass", f"{suite} looked up no outside name and tried to reach no outside host{tail}"
