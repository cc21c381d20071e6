"""A load stage from several generator hosts: a Locust master on one host, N workers on N others and
the suite on a host of its own, the users split between the workers and their results merged by the
master into one run (reports/runs/<id>/load/<stage>/, with every generator's share in connections.json).

Here the hosts are the project's own test hosts, network namespaces joined by virtual links
(poc/load/hosts.py): a proof of the master/worker mode across hosts that runs on one machine, bounded
in users and time, with no traffic to any address outside the namespaces and loopback. On real
machines the same commands run by hand (README, "Load from more machines"); on Kubernetes the operator.

    python -m poc load --suite baseline --profile morning --size XS --duration 20 --netns 2
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from .. import catalogue as catalogue_mod
from .. import runs, suites
from ..errors import PocError, SuiteStartError
from ..redact import add as add_secret
from . import runner, safety
from .hosts import TestNetwork

MAX_USERS = 2_000      # bound of a run on the test network: it proves the mode, it is not a capacity figure
MAX_SECONDS = 300
STATE = "suite-state.json"


def _passwords(suite) -> dict:
    """One password per test account for every host alike, by the variables suite.yaml names (never a file)."""
    env = {}
    for role, spec in (suite.config.get("accounts") or {}).items():
        var = spec["password_env"]
        value = os.environ.get(var) or secrets.token_urlsafe(18)
        env[var] = value
        add_secret(value)
    return env


def _wait_ready(proc: subprocess.Popen, state: Path, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SuiteStartError(f"the suite host ended (exit {proc.returncode}) before it was ready:\n"
                                  + log.read_text(errors="replace")[-2000:])
        if state.exists() and "ready:" in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise SuiteStartError(f"the suite host was not ready within {timeout:.0f} s:\n" + log.read_text(errors="replace")[-2000:])


def _stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run(suite_name: str, *, profile: str = "morning", size: str = "XS", seconds: float = 20.0, workers: int = 2,
        run_dir: Path | None = None, progress=print) -> dict:
    """One profile from `workers` generator hosts against the suite on its own host; returns the summary."""
    catalogue = catalogue_mod.load(suites.repo_root() / "requirements.yaml")
    suite = suites.load(suite_name, capabilities=set(catalogue.capabilities))
    if suite.mode != "local":
        raise PocError(f"the test network runs local suites on a host of their own; {suite.name} is {suite.mode} "
                       "(for a deployment elsewhere, start workers on real hosts: README, 'Load from more machines')")
    if not 1 <= workers <= 8:
        raise PocError("--netns: between 1 and 8 worker hosts")
    stage_folder_name = profile
    run_dir = run_dir or runs.runs_dir() / runs.new_run_id(f"{suite.name}-multihost")
    (run_dir / "load").mkdir(parents=True, exist_ok=True)
    stage = runner.Stage(name=stage_folder_name, folder=run_dir / "load" / stage_folder_name, profile=profile,
                         size=size, duration=seconds, workers=workers)
    if stage.users > MAX_USERS or stage.seconds > MAX_SECONDS:
        raise safety.LoadRefused(f"refused: the test network is bounded to {MAX_USERS:,} users and {MAX_SECONDS} s "
                                 f"(asked: {stage.users:,} users, {stage.seconds:.0f} s)")
    hosts = ["master", *[f"w{i}" for i in range(1, workers + 1)], "suite"]
    passwords = _passwords(suite)
    stage.extra_env.update(passwords)  # every generator host gets them as the suite host does
    suite_proc = None
    with TestNetwork(hosts) as net:
        sealed = net.sealed()
        if not sealed["ok"]:
            raise PocError("the test network is not sealed: " + "; ".join(sealed["problems"]))
        progress(f"test network {sealed['subnet']}: master {net.address('master')}, workers "
                 + ", ".join(net.address(f"w{i}") for i in range(1, workers + 1))
                 + f", suite {net.address('suite')}; no route out of it")
        log = run_dir / "suite-host.log"
        state = run_dir / STATE
        try:
            with open(log, "wb") as out:
                suite_proc = subprocess.Popen(
                    net.command("suite", [sys.executable, "-m", "poc.load.suitehost", "--suite", suite.name,
                                          "--run-dir", str(run_dir)], env={"POC_LOCAL_HOST": net.address("suite")}),
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(suites.repo_root()),
                    env={**os.environ, **passwords})
            _wait_ready(suite_proc, state, log, suite.config.get("local", {}).get("start_timeout", 30) + 60)
            declared = json.loads(state.read_text(encoding="utf-8"))["endpoints"]
            progress(f"{suite.name} is up on its host: {', '.join(sorted(declared.values()))}")
            stage.netns = {"master": net.names["master"], "master_ip": net.address("master"),
                           "workers": [[net.names[f"w{i}"], f"w{i} {net.address(f'w{i}')}"]
                                       for i in range(1, workers + 1)]}
            summary = runner.run(stage, state, hosts=sorted({_origin(u) for u in declared.values()}),
                                 progress=progress)
        finally:
            _stop(suite_proc)
    summary["test_network"] = {**sealed, "master": net.address("master"), "suite": net.address("suite"),
                               "workers": {f"w{i}": net.address(f"w{i}") for i in range(1, workers + 1)}}
    summary["suite"] = suite.name
    (stage.folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    runs.write_json(run_dir / "load" / "run.json", {"suite": suite.name, "started": summary.get("started"),
                                                    "stage": runner.stage_dict(stage), "mode": "multihost"})
    return summary


def _origin(url: str) -> str:
    from .target import origin
    return origin(url)


def describe(summary: dict) -> str:
    """The split and the merge in lines: per generator host its users, requests and connections."""
    c = summary.get("connections") or {}
    lines = [f"{len(c.get('generators', []))} worker host(s); master merged "
             f"{(summary.get('total') or {}).get('requests', 0):,} requests"]
    for g in c.get("generators", []):
        lines.append(f"  {g.get('label')}: peak {g.get('peak_users', 0)} users, {g.get('requests', 0):,} requests, "
                     f"{g.get('opened', 0)} new connections")
    return "\n".join(lines)
