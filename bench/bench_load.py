"""Load benchmarks, each figure measured in one run so its ratio holds on a noisy machine:

(a) requests per second per core of the harness's load user (scenarios/load/probe.py, Locust's
    FastHttpUser) against a trivial nginx endpoint on 127.0.0.1, next to wrk on the same endpoint
    (target ratio >= 0.2); and how many concurrent pupils (the real Pupil class, 10 s think time)
    one generator core holds below 80 % CPU (target >= 5,000);
(b) the capacity the capacity search finds on a calibration server whose limit is known in
    advance (poc/load/calibration.py), next to that limit (target: within 10 %).

Our own nginx with its own config in a temporary folder; every process is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from poc.lifecycle.local import free_port, port_open  # noqa: E402
from poc.load import ENV_CAPACITY, ENV_STATE, ENV_THINK, calibration, results  # noqa: E402

PY = sys.executable
NGINX_CONF = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 10m;
    location / {{
      if ($request_method = PROPFIND) {{ return 207 "ok"; }}
      if ($request_method = REPORT) {{ return 207 "ok"; }}
      if ($request_method = MKCALENDAR) {{ return 201; }}
      if ($request_method = MKCOL) {{ return 201; }}
      return 200 "ok";
    }}
  }}
}}
"""
PASSWORD = "bench-only-" + os.urandom(6).hex()  # a throw-away account of a throw-away server


def write_state(folder: Path, origin: str) -> Path:
    state = {"suite": "bench", "mode": "external", "url": None, "endpoints": {"files": origin},
             "capabilities": {"files": {"protocol": "webdav", "url": "{files}/{user}/"},
                              "calendar": {"protocol": "caldav", "url": "{files}/dav/"}},
             "accounts": {"pupil": {"username": "elev.bench", "display_name": "", "email": "", "password_env": ""},
                          "teacher": {"username": "laerer.bench", "display_name": "", "email": "",
                                      "password_env": ""}}}
    path = folder / "suite-state.json"
    path.write_text(json.dumps(state))
    return path


def env_for(state: Path, **extra) -> dict:
    env = {**os.environ, ENV_STATE: str(state), "POC_ACCOUNT_PASSWORDS": json.dumps({"pupil": PASSWORD,
                                                                                     "teacher": PASSWORD}),
           "PYTHONPATH": str(ROOT), **{k: str(v) for k, v in extra.items()}}
    return env


def start(argv, **kw) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kw)


def stop(p: subprocess.Popen):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)


def wait_port(port: int, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")
        time.sleep(0.05)


def locust(argv_extra, env, folder: Path, sample_cpu=False) -> tuple[subprocess.Popen, list]:
    """Run Locust to its end; with sample_cpu, (unix time, CPU %) once a second."""
    import psutil
    argv = [PY, "-m", "locust", "--headless", "--loglevel", "ERROR", "--csv", str(folder / "locust"),
            "--csv-full-history", "--only-summary"] + argv_extra
    p = subprocess.Popen(argv, stdout=open(folder / "locust.out", "wb"), stderr=subprocess.STDOUT, env=env,
                         cwd=str(folder), start_new_session=True)
    samples = []
    try:
        h = psutil.Process(p.pid)
        h.cpu_percent(None)
        while p.poll() is None:
            time.sleep(1.0)
            try:
                samples.append((time.time(), h.cpu_percent(None)))
            except psutil.Error:
                break
        p.wait(120)
    finally:
        stop(p)
    return p, samples


def throughput(folder: Path, port: int) -> dict:
    """(a1) rps per core: Locust probe vs wrk, each on one core, CPU time measured per process."""
    url = f"http://127.0.0.1:{port}/"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t1", "-c32", "-d6s", url], capture_output=True, text=True, timeout=60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    m = re.search(r"(\d+) requests in ([\d.]+)s", out)
    wrk_requests, wrk_seconds = int(m.group(1)), float(m.group(2))
    wrk_per_core = wrk_requests / max(wrk_cpu, 1e-6)

    state = write_state(folder, f"http://127.0.0.1:{port}")
    env = env_for(state, **{ENV_THINK: 0})
    _, samples = locust(["-f", str(ROOT / "scenarios/load/probe.py"), "-u", "32", "-r", "32", "-t", "9s"], env,
                        folder, sample_cpu=True)
    hist = results.history(folder / "locust")
    # the steady part: from 2 s after the start to 1 s before the end
    t0 = hist[0]["t"] if hist else 0
    window = [h for h in hist if 2 <= h["t"] - t0 <= 8]
    reqs = window[-1]["requests"] - window[0]["requests"] if len(window) > 1 else 0
    secs = window[-1]["t"] - window[0]["t"] if len(window) > 1 else 1
    start_ts = samples[0][0] if samples else 0
    cpu = [c for ts, c in samples if 2.5 <= ts - start_ts <= 8]
    cpu_mean = sum(cpu) / len(cpu) if cpu else 100.0
    locust_rps = reqs / secs
    locust_per_core = locust_rps / max(cpu_mean / 100.0, 1e-6)
    return {"wrk_rps": wrk_requests / wrk_seconds, "wrk_cpu_s": wrk_cpu, "wrk_rps_per_core": wrk_per_core,
            "locust_rps": locust_rps, "locust_cpu": cpu_mean, "locust_rps_per_core": locust_per_core,
            "ratio": locust_per_core / wrk_per_core}


def pupils_per_core(folder: Path, port: int, levels=(2500, 5000, 7500)) -> dict:
    """(a2) the real Pupil class, 10 s think time, stepped; CPU of the one Locust process per step."""
    state = write_state(folder, f"http://127.0.0.1:{port}")
    plan = {"step": levels[1] - levels[0], "start": levels[0], "max_users": levels[-1], "hold": 10.0, "settle": 3.0,
            "p95_ms": 1e9, "error_rate": 1.0, "spawn_rate": 1000.0, "max_seconds": 120}
    env = env_for(state, **{ENV_THINK: 10, ENV_CAPACITY: json.dumps(plan), "POC_LOAD_OUT": str(folder)})
    _, samples = locust(["-f", str(ROOT / "scenarios/load/locustfile.py")], env, folder, sample_cpu=True)
    hist = results.history(folder / "locust")
    import csv
    rows = list(csv.DictReader(open(folder / "locust_stats_history.csv")))
    users_at = {int(float(r["Timestamp"])): int(r["User Count"]) for r in rows if r["Name"] == "Aggregated"}
    per_level = {}
    for ts, c in samples:
        u = users_at.get(int(ts)) or users_at.get(int(ts) - 1)
        if u in levels:
            per_level.setdefault(u, []).append(c)
    # drop the first 4 s at each level (spawning and the users' first log-in)
    cpu = {u: sum(v[4:]) / len(v[4:]) for u, v in per_level.items() if len(v) > 5}
    held = max([u for u, c in cpu.items() if c < 80.0], default=0)
    failures = (results.stats(folder / "locust")["total"] or {}).get("failures", 0)
    return {"cpu_per_level": cpu, "held_below_80": held, "failures": failures, "points": len(hist)}


def capacity_calibration(folder: Path) -> dict:
    """(b) capacity search against a server of 40 slots x 200 ms, users thinking 1.8 s, p95 limit 300 ms."""
    slots, service, think, limit = 40, 0.2, 1.8, 0.3
    expected = calibration.expected_capacity(slots, service, think, limit)
    port = free_port()
    server = start([PY, "-m", "poc.load.calibration", str(slots), str(service), str(port)], cwd=str(ROOT))
    try:
        wait_port(port)
        state = write_state(folder, f"http://127.0.0.1:{port}")
        plan = {"step": 20, "start": 300, "max_users": 600, "hold": 6.0, "settle": 3.0, "p95_ms": limit * 1000,
                "error_rate": 0.01, "spawn_rate": 100.0, "max_seconds": 150}
        env = env_for(state, **{ENV_THINK: think, ENV_CAPACITY: json.dumps(plan), "POC_LOAD_OUT": str(folder)})
        locust(["-f", str(ROOT / "scenarios/load/probe.py")], env, folder)
    finally:
        stop(server)
    found = json.loads((folder / "capacity.json").read_text())
    return {"expected": expected, "found": found["capacity"], "step": found["precision"],
            "error": (found["capacity"] - expected) / expected, "text": found["text"], "steps": found["steps"]}


def main() -> dict:
    if not shutil.which("nginx") or not shutil.which("wrk"):
        print("bench_load: needs nginx (nginx-light) and wrk from Debian")
        return {}
    tmp = Path(tempfile.mkdtemp(prefix="poc-bench-load-"))
    port = free_port()
    (tmp / "nginx").mkdir()
    conf = tmp / "nginx" / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=tmp / "nginx", port=port))
    nginx = start(["nginx", "-c", str(conf), "-p", str(tmp / "nginx"), "-g", "daemon off;"])
    out = {}
    try:
        wait_port(port)
        for name in ("a1", "a2", "b"):
            (tmp / name).mkdir()
        t = throughput(tmp / "a1", port)
        print(f"load (a) requests/s per core: harness load user {t['locust_rps_per_core']:,.0f} "
              f"({t['locust_rps']:,.0f} req/s at {t['locust_cpu']:.0f} % CPU), wrk {t['wrk_rps_per_core']:,.0f} "
              f"({t['wrk_rps']:,.0f} req/s in {t['wrk_cpu_s']:.1f} CPU s); ratio {t['ratio']:.2f} (target >= 0.2)")
        p = pupils_per_core(tmp / "a2", port)
        levels = ", ".join(f"{u:,} users {c:.0f} %" for u, c in sorted(p["cpu_per_level"].items()))
        print(f"load (a) pupils (10 s think time) one generator core holds below 80 % CPU: {p['held_below_80']:,} "
              f"(target >= 5,000; CPU per level: {levels}; {p['failures']} failed requests)")
        out.update(throughput=t, pupils=p)
    finally:
        stop(nginx)
    c = capacity_calibration(tmp / "b")
    print(f"load (b) capacity found on the calibration server: {c['found']} ± {c['step']} users; limit set in advance "
          f"{c['expected']:.0f} users; off by {c['error']:+.1%} (target within ±10 %)")
    out["capacity"] = c
    shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()
