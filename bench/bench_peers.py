"""The harness's load user against its peers, in one run on the same local endpoint (nginx on 127.0.0.1):

    harness   the harness's user (scenarios/load/probe.py: the pupils' and teachers' SchoolUser, which
              keeps its connections, poc/load/keepalive.py), one GET per action
    locust    a plain Locust FastHttpUser doing the same
    jmeter    Apache JMeter, Debian's package 2.13 (the engine of Moodle's own performance comparison),
              started through bench/peers/JMeterPlans.java: Debian's JMeter refuses every test plan as
              packaged (its XStream's type allow-list), and the launcher allows JMeter's own types only
    artillery Artillery from npm (bench/peers/package.json, pinned; `make setup-bench`)

Two figures, each generator pinned to the same one core (nginx to another):
(a) requests per second per generator core: 32 users without think time; requests counted by the
    server (nginx's stub_status) and the generator's CPU time (its whole process tree) over the same
    window after the start-up;
(b) think-timed users held per core below 80 % CPU: users with a 10 s think time, at rising levels,
    each level a run of its own; held = the largest level whose generator stayed below 80 % of its
    core while keeping the users' pace (at least 80 % of users / think requests per second) without
    errors.
Figures are printed with their ratio to the best peer (locust, jmeter, artillery). Goals: the harness
ahead of every peer in (b), at least 15,000, and at or above JMeter in (a).

POC_BENCH_PEERS_QUICK=1 makes it short (a smoke run: few levels, short windows); POC_BENCH_PEERS=harness,jmeter
picks generators. Figures measured while other work shares the machine's cores are distorted: the
bench prints the load average at its start and end.
"""

from __future__ import annotations

import json
import math
import os
import re
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
from poc.load import ENV_STATE, ENV_THINK, limits  # noqa: E402

PY = sys.executable
PEERS_DIR = ROOT / "bench" / "peers"
ARTILLERY = PEERS_DIR / "node_modules" / ".bin" / "artillery"
JMETER_HOME = Path("/usr/share/jmeter")
QUICK = os.environ.get("POC_BENCH_PEERS_QUICK") == "1"
THINK = 10.0
CONCURRENCY = 32                      # (a): users without think time
WINDOW = (3.0, 6.0) if QUICK else (4.0, 14.0)  # (a): seconds from the start measured (after start-up)
LEVELS = (1_000, 2_000) if QUICK else (5_000, 10_000, 15_000, 19_000)
RAMP, MEASURED = (4.0, 8.0) if QUICK else (15.0, 20.0)  # (b): ramp, then the window measured after one think
BELOW = 0.80
PASSWORD = "bench-only-" + os.urandom(6).hex()

NGINX_CONF = """worker_processes 1;
worker_rlimit_nofile 40000;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 30000; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path {prefix}/body;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /__status {{ stub_status; }}
    location / {{ return 200 "ok"; }}
  }}
}}
"""

PLAIN_LOCUST = """
import os
from locust import FastHttpUser, constant, task
class Plain(FastHttpUser):
    host = os.environ["BENCH_URL"]
    wait_time = constant(float(os.environ.get("BENCH_THINK", "0")))
    @task
    def get(self):
        self.client.get("/bench")
"""

JMX = """<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="bench" enabled="true">
      <elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" enabled="true">
        <collectionProp name="Arguments.arguments"/>
      </elementProp>
      <boolProp name="TestPlan.functional_mode">false</boolProp>
      <boolProp name="TestPlan.serialize_threadgroups">false</boolProp>
    </TestPlan>
    <hashTree>
      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="users" enabled="true">
        <stringProp name="ThreadGroup.on_sample_error">continue</stringProp>
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController" enabled="true">
          <boolProp name="LoopController.continue_forever">false</boolProp>
          <intProp name="LoopController.loops">-1</intProp>
        </elementProp>
        <stringProp name="ThreadGroup.num_threads">${__P(threads,8)}</stringProp>
        <stringProp name="ThreadGroup.ramp_time">${__P(ramp,1)}</stringProp>
        <boolProp name="ThreadGroup.scheduler">true</boolProp>
        <stringProp name="ThreadGroup.duration">${__P(seconds,5)}</stringProp>
        <stringProp name="ThreadGroup.delay">0</stringProp>
      </ThreadGroup>
      <hashTree>
        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="get" enabled="true">
          <elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" testclass="Arguments" enabled="true">
            <collectionProp name="Arguments.arguments"/>
          </elementProp>
          <stringProp name="HTTPSampler.domain">127.0.0.1</stringProp>
          <stringProp name="HTTPSampler.port">${__P(port,80)}</stringProp>
          <stringProp name="HTTPSampler.protocol">http</stringProp>
          <stringProp name="HTTPSampler.path">/bench</stringProp>
          <stringProp name="HTTPSampler.method">GET</stringProp>
          <boolProp name="HTTPSampler.use_keepalive">true</boolProp>
          <stringProp name="HTTPSampler.implementation">HttpClient4</stringProp>
        </HTTPSamplerProxy>
        <hashTree/>
        <ConstantTimer guiclass="ConstantTimerGui" testclass="ConstantTimer" testname="think" enabled="true">
          <stringProp name="ConstantTimer.delay">${__P(think_ms,0)}</stringProp>
        </ConstantTimer>
        <hashTree/>
      </hashTree>
    </hashTree>
  </hashTree>
</jmeterTestPlan>
"""


# -- the endpoint ---------------------------------------------------------------------------------

class Endpoint:
    def __init__(self, folder: Path, cpu: int):
        self.port = free_port()
        (folder / "nginx").mkdir(parents=True)
        conf = folder / "nginx" / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=folder / "nginx", port=self.port))
        self.proc = _start(["nginx", "-c", str(conf), "-p", str(folder / "nginx"), "-g", "daemon off;"], cpu=cpu)
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def requests(self) -> int:
        import urllib.request
        text = urllib.request.urlopen(self.url + "/__status", timeout=5).read().decode()
        return int(re.search(r"\n\s*\d+\s+\d+\s+(\d+)", text).group(1))

    def stop(self):
        _stop(self.proc)


def _start(argv, cpu: int | None = None, env=None, cwd=None, log: Path | None = None) -> subprocess.Popen:
    def pin():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    out = open(log, "wb") if log else subprocess.DEVNULL
    return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=pin)


def _stop(p: subprocess.Popen):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
        except ProcessLookupError:
            pass


def _cpu_seconds(pid: int) -> float:
    import psutil
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


# -- the generators: argv for N users with a think time, running for `seconds` ----------------------

def _state(folder: Path, url: str) -> Path:
    state = {"suite": "bench", "mode": "external", "url": None, "endpoints": {"files": url},
             "capabilities": {"files": {"protocol": "webdav", "url": "{files}/bench/"}},
             "accounts": {"pupil": {"username": "elev.bench", "display_name": "", "email": "", "password_env": ""}}}
    path = folder / "suite-state.json"
    path.write_text(json.dumps(state))
    return path


def harness(folder: Path, url: str, users: int, think: float, seconds: float, ramp: float):
    env = {**os.environ, ENV_STATE: str(_state(folder, url)), ENV_THINK: str(think), "PYTHONPATH": str(ROOT),
           "POC_ACCOUNT_PASSWORDS": json.dumps({"pupil": PASSWORD}), "POC_LOAD_OUT": str(folder)}
    rate = max(1.0, users / max(ramp, 0.1))
    return [PY, "-m", "locust", "-f", str(ROOT / "scenarios/load/probe.py"), "--headless", "-u", str(users),
            "-r", f"{rate:.1f}", "-t", f"{int(math.ceil(seconds))}s", "--only-summary", "--loglevel", "ERROR",
            "--stop-timeout", "1"], env


def locust(folder: Path, url: str, users: int, think: float, seconds: float, ramp: float):
    lf = folder / "plain_locustfile.py"
    lf.write_text(PLAIN_LOCUST)
    env = {**os.environ, "BENCH_URL": url, "BENCH_THINK": str(think)}
    rate = max(1.0, users / max(ramp, 0.1))
    return [PY, "-m", "locust", "-f", str(lf), "--headless", "-u", str(users), "-r", f"{rate:.1f}", "-t",
            f"{int(math.ceil(seconds))}s", "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "1"], env


def jmeter(folder: Path, url: str, users: int, think: float, seconds: float, ramp: float):
    plan = folder / "plan.jmx"
    plan.write_text(JMX)
    port = url.rsplit(":", 1)[1]
    return ["java", "-Xss256k", "-Xms256m", "-Xmx2g", f"-Djmeter.home={JMETER_HOME}", "-cp",
            str(JMETER_HOME / "bin" / "ApacheJMeter.jar"), str(PEERS_DIR / "JMeterPlans.java"), "-n", "-t", str(plan),
            f"-Jport={port}", f"-Jthreads={users}", f"-Jramp={max(1, int(ramp))}", f"-Jseconds={int(math.ceil(seconds))}",
            f"-Jthink_ms={int(think * 1000)}", "-j", str(folder / "jmeter.log")], dict(os.environ)


def artillery(folder: Path, url: str, users: int, think: float, seconds: float, ramp: float):
    loops = int(seconds / max(think, 0.001)) + 2 if think else 10_000_000
    flow = [{"get": {"url": "/bench"}}] + ([{"think": think}] if think else [])
    config = {"config": {"target": url, "phases": [{"duration": max(1, int(ramp)), "arrivalCount": users}],
                         "http": {"timeout": 30}},
              "scenarios": [{"flow": [{"loop": flow, "count": loops}]}]}
    path = folder / "artillery.json"
    path.write_text(json.dumps(config))
    env = {**os.environ, "ARTILLERY_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    return [str(ARTILLERY), "run", "--quiet", str(path)], env


GENERATORS = {"harness": harness, "locust": locust, "jmeter": jmeter, "artillery": artillery}
PEERS = ("locust", "jmeter", "artillery")


def missing(name: str) -> str | None:
    if name == "jmeter" and not (JMETER_HOME / "lib" / "ext" / "ApacheJMeter_http.jar").exists():
        return "needs Debian's jmeter and jmeter-http (make setup-bench)"
    if name == "jmeter" and not shutil.which("java"):
        return "needs java"
    if name == "artillery" and not ARTILLERY.exists():
        return "needs Artillery from bench/peers/package.json (make setup-bench)"
    return None


# -- the measures -----------------------------------------------------------------------------------

def measure(name: str, endpoint: Endpoint, folder: Path, users: int, think: float, seconds: float, ramp: float,
            window: tuple[float, float], cpu: int) -> dict:
    """Run one generator; over `window` (seconds from its start) the server's requests and its CPU time."""
    folder.mkdir(parents=True, exist_ok=True)
    argv, env = GENERATORS[name](folder, endpoint.url, users, think, seconds, ramp)
    p = _start(argv, cpu=cpu, env=env, cwd=str(folder), log=folder / "generator.out")
    t0 = time.monotonic()
    try:
        time.sleep(max(0.0, window[0] - (time.monotonic() - t0)))
        r0, c0, w0 = endpoint.requests(), _cpu_seconds(p.pid), time.monotonic()
        time.sleep(max(0.0, window[1] - (time.monotonic() - t0)))
        r1, c1, w1 = endpoint.requests(), _cpu_seconds(p.pid), time.monotonic()
        alive = p.poll() is None
    finally:
        _stop(p)
    wall, cpu_s, reqs = w1 - w0, c1 - c0, r1 - r0 - 2  # the two status requests
    return {"requests": reqs, "wall_s": wall, "cpu_s": cpu_s, "rps": reqs / wall, "cpu": cpu_s / wall,
            "rps_per_core": reqs / cpu_s if cpu_s > 0 else 0.0, "alive": alive,
            "out": (folder / "generator.out").read_text(errors="replace")[-400:]}


def rps_per_core(endpoint, folder, names, cpu) -> dict:
    out = {}
    for name in names:
        m = measure(name, endpoint, folder / f"a-{name}", CONCURRENCY, 0.0, WINDOW[1] + 2, 1.0, WINDOW, cpu)
        out[name] = m
        print(f"   (a) {name:<10} {m['rps_per_core']:>9,.0f} req/s per core ({m['rps']:,.0f} req/s at "
              f"{m['cpu']:.0%} of its core)", flush=True)
    return out


def users_per_core(endpoint, folder, names, cpu) -> dict:
    out = {}
    for name in names:
        levels = {}
        for users in LEVELS:
            # JMeter's timer waits before a request, the others after it: measure once every user is in its rhythm
            window = (RAMP + THINK + 3, RAMP + THINK + 3 + MEASURED)
            m = measure(name, endpoint, folder / f"b-{name}-{users}", users, THINK, window[1] + 2, RAMP, window, cpu)
            pace = users / THINK
            m["pace"] = m["rps"] / pace
            m["held"] = m["cpu"] < BELOW and m["pace"] >= 0.8 and m["alive"]
            levels[users] = m
            print(f"   (b) {name:<10} {users:>6,} users: {m['cpu']:.0%} of its core, {m['rps']:,.0f} req/s "
                  f"({m['pace']:.0%} of the users' pace){'' if m['held'] else '  NOT HELD'}", flush=True)
            if not m["held"]:
                break
        held = max([u for u, m in levels.items() if m["held"]], default=0)
        # the levels stop at the open-files limit, so several generators may hold the top one: their cost
        # per user there ranks them, as users per core at 80 % extrapolated from the top level held
        top = levels.get(held)
        per_core = int(held * BELOW / top["cpu"]) if top and top["cpu"] > 0 else 0
        out[name] = {"held": held, "levels": levels, "per_core_80": per_core}
    return out


def table(a: dict, b: dict) -> str:
    best_a = max([a[n]["rps_per_core"] for n in PEERS if n in a] or [0]) or 1
    best_b = max([b[n]["per_core_80"] for n in PEERS if n in b] or [0]) or 1
    lines = [f"   {'generator':<12}{'req/s per core':>16}{'× best peer':>13}{'users held <80 %':>18}"
             f"{'users per core at 80 %':>24}{'× best peer':>13}",
             f"   {'':<12}{'':>16}{'':>13}{'(levels tried)':>18}{'(from the top level)':>24}"]
    for name in GENERATORS:
        if name not in a and name not in b:
            continue
        ra = a.get(name, {}).get("rps_per_core")
        hb = b.get(name, {}).get("held")
        pc = b.get(name, {}).get("per_core_80")
        lines.append(f"   {name:<12}{(f'{ra:,.0f}' if ra is not None else '–'):>16}"
                     f"{(f'{ra / best_a:.2f}' if ra is not None else '–'):>13}"
                     f"{(f'{hb:,}' if hb is not None else '–'):>18}{(f'{pc:,}' if pc is not None else '–'):>24}"
                     f"{(f'{pc / best_b:.2f}' if pc is not None else '–'):>13}")
    return "\n".join(lines)


def goals(a: dict, b: dict) -> list[str]:
    out = []
    if "harness" in b:
        h, hc = b["harness"]["held"], b["harness"]["per_core_80"]
        peers = {n: b[n]["per_core_80"] for n in PEERS if n in b}
        ahead = all(hc > v for v in peers.values())
        out.append(f"users per core: harness held {h:,} {'≥' if h >= 15_000 else '<'} 15,000 below 80 %; "
                   f"{hc:,} per core at 80 % (extrapolated from its top level), "
                   f"{'ahead of' if ahead else 'NOT ahead of'} every peer measured "
                   f"({', '.join(f'{n} {v:,}' for n, v in peers.items())})")
    if "harness" in a and "jmeter" in a:
        h, j = a["harness"]["rps_per_core"], a["jmeter"]["rps_per_core"]
        out.append(f"requests per core: harness {h:,.0f} {'≥' if h >= j else '<'} JMeter {j:,.0f}")
    return out


def main() -> dict:
    if not shutil.which("nginx"):
        print("bench_peers: needs nginx (nginx-light)")
        return {}
    wanted = [n.strip() for n in (os.environ.get("POC_BENCH_PEERS") or ",".join(GENERATORS)).split(",") if n.strip()]
    names = []
    for n in wanted:
        why = missing(n)
        if why:
            print(f"   {n}: left out, {why}")
        else:
            names.append(n)
    cpus = sorted(os.sched_getaffinity(0))
    gen_cpu, server_cpu = cpus[-1], cpus[0]
    limits.raise_open_files()
    print(f"   one run, same endpoint (nginx on core {server_cpu}), every generator pinned to core {gen_cpu}; "
          f"load average at start {os.getloadavg()[0]:.2f} on {len(cpus)} core(s)"
          + (" (other work shares the cores: the figures are distorted)" if os.getloadavg()[0] > 0.5 else ""), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="poc-bench-peers-"))
    endpoint = Endpoint(tmp, server_cpu)
    try:
        a = rps_per_core(endpoint, tmp, names, gen_cpu)
        b = users_per_core(endpoint, tmp, names, gen_cpu)
    finally:
        endpoint.stop()
    print(table(a, b))
    for line in goals(a, b):
        print("   " + line)
    print(f"   load average at end {os.getloadavg()[0]:.2f}" + ("; QUICK run (smoke), not the figures" if QUICK else ""))
    shutil.rmtree(tmp, ignore_errors=True)
    return {"rps_per_core": a, "users_per_core": b}


if __name__ == "__main__":
    main()
