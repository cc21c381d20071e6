"""Runs Locust as a subprocess: headless, one process or a master with N local workers, its CSV
statistics and history in the stage folder, bounded in users and time, and stopped by PID.

    run(Stage(...), state_path) -> the stage's summary (also written to <folder>/summary.json)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..lifecycle.local import free_port
from ..redact import redact
from . import (CAPACITY, CONNECTIONS, ENV_CAPACITY, ENV_DURATION, ENV_OUT, ENV_PROFILE, ENV_SEED, ENV_SIZE, ENV_STATE, ENV_THINK,
               SUMMARY, data, handins, limits, results, safety, school_accounts)

LOCUSTFILE = data.FOLDER / "locustfile.py"
PREFIX = "locust"  # locust_stats.csv, locust_stats_history.csv, locust_failures.csv, locust_exceptions.csv


@dataclass
class Stage:
    name: str                 # folder name under load/: the profile, or "capacity"
    folder: Path
    profile: str = "steady"
    size: str = "S"
    duration: float | None = None  # seconds; None: the profile's real length
    workers: int = 0
    capacity: dict | None = None   # a capacity.Plan as a dict
    think: float | None = None
    seed: int = 2026
    locustfile: Path = LOCUSTFILE
    accounts: dict | None = None   # whose accounts the users sign in as (poc/load/school_accounts.py), public
    extra_env: dict = field(default_factory=dict)
    # master and workers on separate hosts (network namespaces, poc/load/hosts.py):
    # {"master": namespace, "master_ip": address, "workers": [[namespace, label], ...]}
    netns: dict | None = None

    @property
    def seconds(self) -> float:
        if self.capacity is not None:
            return float(self.capacity.get("max_seconds", 600))
        return float(self.duration or data.profile(self.profile).seconds)

    @property
    def users(self) -> int:
        if self.capacity is not None:
            return int(self.capacity.get("max_users", 5000))
        return data.size(self.size).users


def _env(stage: Stage, state_path: Path) -> dict:
    inherited = {k: v for k, v in os.environ.items() if k not in (school_accounts.ENV_SCHOOL, school_accounts.ENV_PASSWORDS)}
    env = {**inherited, ENV_STATE: str(state_path), ENV_PROFILE: stage.profile, ENV_SIZE: stage.size,
           ENV_DURATION: str(stage.seconds), ENV_OUT: str(stage.folder), ENV_SEED: str(stage.seed),
           "PYTHONPATH": os.pathsep.join([str(data.FOLDER.parents[1]), os.environ.get("PYTHONPATH", "")]),
           **stage.extra_env}
    env.pop(ENV_CAPACITY, None)
    env.pop(ENV_THINK, None)
    if stage.capacity is not None:
        env[ENV_CAPACITY] = json.dumps(stage.capacity)
    if stage.think is not None:
        env[ENV_THINK] = str(stage.think)
    env.pop("POC_SECRETS", None)  # the redaction list is not the load's business
    return env


def commands(stage: Stage) -> list[list[str]]:
    base = [sys.executable, "-m", "locust", "-f", str(stage.locustfile), "--headless", "--loglevel", "WARNING"]
    master = base + ["--csv", str(stage.folder / PREFIX), "--csv-full-history", "--only-summary",
                     "--logfile", str(stage.folder / "locust.log"), "--stop-timeout", "5"]
    if stage.netns:
        return _netns_commands(stage, base, master)
    if not stage.workers:
        return [master]
    port = free_port()
    master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
               "--expect-workers", str(stage.workers), "--expect-workers-max-wait", "30"]
    worker = base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                     "--logfile", str(stage.folder / "locust-worker.log")]
    return [master] + [worker] * stage.workers


MASTER_PORT = 5557  # Locust's own default; in a namespace of its own nothing else holds it


def _netns_commands(stage: Stage, base: list[str], master: list[str]) -> list[list[str]]:
    """The master in its namespace, bound to its own address, and each worker in its own, reaching it
    over the test network: `ip netns exec` runs each in its host (it execs, so the PID is Locust's)."""
    n = stage.netns
    ip = n["master_ip"]
    out = [["ip", "netns", "exec", n["master"], *master, "--master", "--master-bind-host", ip,
            "--master-bind-port", str(MASTER_PORT), "--expect-workers", str(len(n["workers"])),
            "--expect-workers-max-wait", "30"]]
    for i, (namespace, label) in enumerate(n["workers"], 1):
        out.append(["ip", "netns", "exec", namespace, "env", f"POC_LOAD_HOST_LABEL={label}", *base, "--worker",
                    "--master-host", ip, "--master-port", str(MASTER_PORT),
                    "--logfile", str(stage.folder / f"locust-worker-{i}.log")])
    return out


def run(stage: Stage, state_path: Path, *, hosts: list[str] | None = None, progress=print,
        suite_pids: list[int] | None = None) -> dict:
    """Run one stage to its end (or its bound) and return its summary. `suite_pids`: the suite's server
    processes (a local suite), whose CPU time is then told apart from the generators' and the rest's."""
    from . import target as target_mod
    safety.check_bounds(stage.users, stage.seconds)
    target = target_mod.from_state(state_path)
    safety.check_target(target, target.capabilities)
    if hosts is not None and set(target.hosts()) - set(hosts):
        raise safety.LoadRefused(f"refused: the state file names hosts the suite does not declare: "
                                 f"{', '.join(sorted(set(target.hosts()) - set(hosts)))}")
    stage.folder.mkdir(parents=True, exist_ok=True)
    # every user keeps a connection to each suite host: raise the open-files limit (the generators inherit
    # it) and add local workers when one process cannot hold the stage's users
    open_files, hard = limits.raise_open_files()
    n_hosts = max(1, len(target.hosts()))
    progress(limits.describe(open_files, hard, n_hosts))
    needed = limits.processes_needed(stage.users, open_files, n_hosts)
    if needed > max(1, stage.workers) and not stage.netns:
        progress(f"{stage.users:,} users need {needed} generator processes here: {needed} local workers")
        stage.workers = needed
    env = _env(stage, state_path)
    env[school_accounts.ENV_GENERATORS] = str(len(stage.netns["workers"]) if stage.netns else max(1, stage.workers))
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    limit = stage.seconds + safety.GRACE_SECONDS + 30  # + start-up of the Python processes
    procs, cpu = [], {}
    out = open(stage.folder / "locust.out", "wb")
    t0 = time.monotonic()
    host0 = _host_cpu(suite_pids=suite_pids)
    try:
        for argv in commands(stage):
            procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=env, cwd=str(stage.folder), start_new_session=True))
        def tick(elapsed: float) -> None:
            line = _progress_line(stage, elapsed)
            if line:
                progress(line)

        cpu = _watch(procs, limit, tick if stage.seconds > 2 * PROGRESS_EVERY else None)
    finally:
        for p in procs:
            _stop(p)
        out.close()
    elapsed = time.monotonic() - t0
    code = procs[0].returncode
    _redact_folder(stage.folder)
    passwords = {a.username: a.password for a in target.accounts.values()}
    passwords.update(json.loads(stage.extra_env.get(school_accounts.ENV_PASSWORDS) or "{}"))
    checked = handins.verify(stage.folder, passwords) if code in (0, 1) else None
    summary = {"suite": target.suite, **summarise(stage, code, started, elapsed, cpu), "handins": checked,
               "open_files": open_files, "users_per_process": limits.users_per_process(open_files, n_hosts),
               "accounts": _accounts(stage), "host": _host_cpu(host0, suite_pids=suite_pids)}
    (stage.folder / SUMMARY).write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return summary


PROGRESS_EVERY = 60.0  # seconds between two progress lines of a long stage


def _progress_line(stage: Stage, elapsed: float) -> str | None:
    """One line on a running stage from Locust's history: time, users, requests/s, p95 (last 10 s), errors."""
    hist = results.history(stage.folder / PREFIX)
    if not hist:
        return None
    h = hist[-1]
    errors = f"{h['failures'] / h['requests']:.1%}" if h["requests"] else "–"
    return (f"load {stage.name}: {_clock(elapsed)}/{_clock(stage.seconds)}, {h['users']:,} users, {h['rps']:.0f} req/s, "
            f"p95 {h['p95_ms']:.0f} ms (last 10 s), {h['requests']:,} requests, errors {errors}")


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _watch(procs, limit: float, tick=None) -> dict:
    """Wait for the master, sampling the CPU use of every Locust process once a second (and calling
    `tick(elapsed)` every PROGRESS_EVERY seconds: the progress line of a long stage)."""
    import psutil
    handles = []
    for p in procs:
        try:
            handles.append(psutil.Process(p.pid))
            handles[-1].cpu_percent(None)
        except psutil.Error:
            pass
    samples = {h.pid: [] for h in handles}
    start = time.monotonic()
    deadline = start + limit
    next_tick = start + PROGRESS_EVERY
    while procs[0].poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(1.0)
        if tick is not None and time.monotonic() >= next_tick:
            next_tick += PROGRESS_EVERY
            try:
                tick(time.monotonic() - start)
            except Exception:  # noqa: BLE001 - a progress line never stops the stage
                pass
        for h in handles:
            try:
                samples[h.pid].append(h.cpu_percent(None))
            except psutil.Error:
                pass
    load_pids = [h.pid for h in handles[1:]] or [handles[0].pid] if handles else []
    peaks = [max(samples[p][1:] or [0.0]) for p in load_pids]
    means = [sum(samples[p][1:]) / max(1, len(samples[p][1:])) for p in load_pids]
    return {"generator_cpu_peak": round(max(peaks or [0.0]), 1), "generator_cpu_mean": round(max(means or [0.0]), 1),
            "generators": len(load_pids)}


def _stop(p: subprocess.Popen, timeout: float = 10) -> None:
    """Only the processes this run started, by their PID (and their own process group)."""
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(5)


def _redact_folder(folder: Path) -> None:
    for path in list(folder.glob("*.csv")) + list(folder.glob("*.log")) + list(folder.glob("*.out")):
        text = path.read_text(encoding="utf-8", errors="replace")
        clean = redact(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")


def summarise(stage: Stage, code: int | None, started: str, elapsed: float, cpu: dict) -> dict:
    prefix = stage.folder / PREFIX
    st = results.stats(prefix)
    hist = results.history(prefix)
    total = st["total"] or {}
    n = total.get("requests", 0)
    size = data.size(stage.size)
    out = {
        "stage": stage.name, "kind": "capacity" if stage.capacity is not None else "profile",
        "profile": stage.profile if stage.capacity is None else "capacity", "size": stage.size,
        "pupils": size.pupils, "teachers": size.teachers, "planned_users": stage.users,
        "duration_s": round(stage.seconds, 1),
        "time_factor": round(stage.seconds / data.profile(stage.profile).seconds, 5) if stage.capacity is None else None,
        "workers": stage.workers, "harness": __version__, "started": started, "elapsed_s": round(elapsed, 1),
        "exit_code": code, "peak_users": max((h["users"] for h in hist), default=0),
        "total": st["total"], "actions": st["actions"], "error_rate": (total.get("failures", 0) / n) if n else 0.0,
        "rps": round(n / max(1.0, hist[-1]["t"]) if hist else 0.0, 2), "history": hist,
        "failures": results.failures(prefix)[:20], **cpu,
        "left_out": _left_out(stage.folder / "locust.out"),
    }
    out["generator_saturated"] = out.get("generator_cpu_peak", 0) >= 95.0 and out.get("generator_cpu_mean", 0) >= 90.0
    # a school day at its real length (not squeezed); a test's shortened profile says so
    out["real_length"] = bool(out["time_factor"]) and out["time_factor"] >= 0.999
    out["length_override_s"] = data.length_override()
    if stage.capacity is not None:
        path = stage.folder / CAPACITY
        out["capacity"] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    out["connections"] = _connections(stage.folder / CONNECTIONS, out["peak_users"])
    out["comparable"] = {"profile": out["profile"], "size": stage.size, "duration_s": out["duration_s"],
                         "harness": __version__, **({"capacity_plan": stage.capacity} if stage.capacity else {})}
    return out


def _accounts(stage: Stage) -> dict | None:
    """Whose accounts the users signed in as (the stage's plan), and how many different ones they used."""
    out = dict(stage.accounts or {})
    seen = school_accounts.used(stage.folder)
    if seen:
        out["distinct_used"] = seen["distinct"]
    return out or None


def _tree_cpu(pids) -> float:
    """CPU seconds (user + system) of these processes and their children, those alive now."""
    import psutil
    seen, total = set(), 0.0
    for pid in pids or ():
        try:
            root = psutil.Process(pid)
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total


def _host_cpu(before=None, *, suite_pids=None) -> dict:
    """The machine during the stage: its cores, how busy they were on average, and of that how much was
    the suite's (its server processes), the generators' (this process's children that ended: the Locust
    processes) and anything else's, with the load average at the end: a reader sees whether the figures
    were measured on a machine that was busy with something else too (poc/load/results.py then does not
    blame the suite for a breach)."""
    import resource

    import psutil
    now = psutil.cpu_times()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    mark = {"_times": now, "_t": time.monotonic(), "_gen": kids.ru_utime + kids.ru_stime, "_suite": _tree_cpu(suite_pids)}
    if before is None:
        return mark
    then = before["_times"]
    busy = sum(getattr(now, f) - getattr(then, f) for f in now._fields if f not in ("idle", "iowait", "guest", "guest_nice"))
    total = busy + (now.idle - then.idle) + (getattr(now, "iowait", 0) - getattr(then, "iowait", 0))
    if total <= 0:
        return {"cpus": psutil.cpu_count(), "busy_mean_pct": None}
    generators = max(0.0, mark["_gen"] - before["_gen"])
    out = {"cpus": psutil.cpu_count(), "busy_mean_pct": round(100 * busy / total, 1),
           "generators_pct": round(100 * generators / total, 1), "loadavg_end": [round(x, 2) for x in os.getloadavg()]}
    if suite_pids:
        suite = max(0.0, mark["_suite"] - before["_suite"])
        out["suite_pct"] = round(100 * suite / total, 1)
        out["others_pct"] = round(max(0.0, 100 * (busy - suite - generators) / total), 1)
    return out


def _connections(path: Path, peak_users: int) -> dict | None:
    """The new connections the generators opened (keepalive.py), beside the users they held: a user keeps
    one connection per suite host, so `per_user` near the number of hosts is a browser's behaviour."""
    try:
        c = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    users = max(1, int(peak_users or c.get("peak_users") or 0))
    c["per_user"] = round(c.get("opened", 0) / users, 2)
    c["per_request"] = round(c.get("opened", 0) / max(1, c.get("requests", 0)), 4)
    return c


def _left_out(path: Path) -> list[str]:
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("left out (the suite lacks the capability): "):
                return line.split(": ", 1)[1].split("; ")
    except OSError:
        pass
    return []


def summaries(run_dir: Path) -> list[dict]:
    """Every stage summary in a run folder, with its folder."""
    out = []
    for path in sorted((Path(run_dir) / "load").glob(f"*/{SUMMARY}")):
        try:
            s = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        s["folder"] = str(path.parent)
        out.append(s)
    return out


def stage_dict(stage: Stage) -> dict:
    d = asdict(stage)
    d["folder"], d["locustfile"] = str(stage.folder), str(stage.locustfile)
    return d
