"""Local suites: real servers started as processes on 127.0.0.1, owned and stopped by PID.

A suite folder's launcher.py defines ``class Launcher(LocalLauncher)`` and fills in ``start``,
``create_accounts`` and ``version``; this base class gives it the process handling.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from ..errors import SuiteStartError
from ..redact import redact

__all__ = ["LocalLauncher", "SuiteStartError", "free_port", "log_tail"]

# where local suites listen: 127.0.0.1, or (POC_LOCAL_HOST) the address of the test host a suite runs on in
# the load test network of namespaces (poc/load/hosts.py); launchers use HOST, never a literal address
HOST = os.environ.get("POC_LOCAL_HOST") or "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return redact("\n".join(text.splitlines()[-lines:])) or "(empty log)"


class LocalLauncher:
    apt_packages: list[str] = []       # named in the 'missing packages' message
    pip_packages: list[str] = []
    required_commands: list[str] = []  # commands (names or paths) that must exist before start

    def __init__(self, suite, workdir: Path, logdir: Path, repo_root: Path | None = None):
        self.suite = suite
        self.workdir = Path(workdir)
        self.logdir = Path(logdir)
        self.repo_root = Path(repo_root) if repo_root else Path(__file__).resolve().parents[2]
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.endpoints: dict[str, str] = {}
        self.accounts: list = []  # the test accounts, set before start() for servers that need them then
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logdir.mkdir(parents=True, exist_ok=True)

    # -- to be filled in by a suite ----------------------------------------------------------
    def start(self) -> dict[str, str]:
        raise NotImplementedError

    def create_accounts(self, accounts) -> None:
        raise NotImplementedError

    def version(self) -> str:
        return "unknown"

    # -- checks ------------------------------------------------------------------------------
    def missing(self) -> list[str]:
        return [c for c in self.required_commands if not (shutil.which(c) or Path(c).exists())]

    def check_installed(self) -> None:
        missing = self.missing()
        if missing:
            how = []
            if self.apt_packages:
                how.append("apt-get install -y " + " ".join(self.apt_packages))
            if self.pip_packages:
                how.append("pip install " + " ".join(self.pip_packages))
            raise SuiteStartError(
                f"suite {self.suite.name!r} cannot start: missing {', '.join(missing)}. Install with: "
                + (" ; ".join(how) or "see suites/" + self.suite.name + "/") + " (or run: make setup-suites)")

    # -- helpers for suites ------------------------------------------------------------------
    free_port = staticmethod(free_port)

    def log_path(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def spawn(self, name: str, argv: list[str], env: dict | None = None, cwd: Path | None = None,
              user: str | None = None) -> subprocess.Popen:
        """Start a server process in its own process group, its output in logdir/<name>.log."""
        log = open(self.log_path(name), "ab")
        full_env, kwargs = _process_env(env, user)
        proc = subprocess.Popen([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=str(cwd or self.workdir), start_new_session=True, **kwargs)
        log.close()
        proc.poc_name = name  # type: ignore[attr-defined]
        self.processes.append((name, proc))
        return proc

    def run(self, argv: list[str], env: dict | None = None, cwd: Path | None = None, user: str | None = None,
            name: str | None = None, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a one-off command to its end; a non-zero exit is a SuiteStartError with its output."""
        full_env, kwargs = _process_env(env, user)
        name = name or Path(str(argv[0])).name
        result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=full_env,
                                cwd=str(cwd or self.workdir), timeout=timeout, input=input, **kwargs)
        with open(self.log_path(name), "a", encoding="utf-8") as log:
            log.write(redact(f"$ {' '.join(map(str, argv))}\n{result.stdout}{result.stderr}\n"))
        if result.returncode != 0:
            raise SuiteStartError(f"{name}: `{' '.join(map(str, argv))}` exited {result.returncode}:\n"
                                  + redact((result.stdout + result.stderr)[-2000:]))
        return result

    def wait_http(self, url: str, proc: subprocess.Popen | None = None, timeout: float = 60,
                  expect=(200,), auth=None) -> None:
        """Poll url until it answers one of `expect`; a dead process or time-out shows its log."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                name = getattr(proc, "poc_name", "server")
                raise SuiteStartError(f"{self.suite.name}: {name} exited with code {proc.returncode} before "
                                      f"answering at {url}. Last lines of its log ({self.log_path(name)}):\n"
                                      + log_tail(self.log_path(name)))
            try:
                r = requests.get(url, timeout=2, auth=auth, headers={"Connection": "close"})
                if r.status_code in expect:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        name = getattr(proc, "poc_name", "server") if proc else "server"
        raise SuiteStartError(f"{self.suite.name}: {url} did not answer {expect} within {timeout:.0f} s "
                              f"(last: {last}). Last lines of {self.log_path(name)}:\n" + log_tail(self.log_path(name)))

    def stop_process(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        """SIGTERM the process group we started, wait, then SIGKILL what is left."""
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(10)
        # children that outlived their parent in the same group
        _signal_group(proc, signal.SIGKILL, only_if_left=True)

    def dead(self) -> list[str]:
        """Descriptions of the servers that have ended on their own."""
        return [f"{name} (pid {p.pid}) exited with code {p.returncode}" for name, p in self.processes
                if p.poll() is not None]

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes}

    def stop(self) -> None:
        for _name, proc in reversed(self.processes):
            try:
                self.stop_process(proc)
            except Exception as exc:  # keep stopping the others
                print(f"warning: could not stop {_name} (pid {proc.pid}): {exc}", file=sys.stderr)


def _process_env(env: dict | None, user: str | None) -> tuple[dict, dict]:
    """The environment (without the harness's secrets) and Popen arguments for a child process,
    run as `user` (a system account such as postgres or sogo) when one is named."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("POC_SECRETS", None)
    full_env.pop("POC_ACCOUNT_PASSWORDS", None)
    full_env["POC_SUITE_PROCESS"] = "1"  # tells the suite's processes from the harness's (PRI-07, poc/isolation)
    kwargs: dict = {}
    if user:
        pw = pwd.getpwnam(user)
        kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        full_env.update(HOME=full_env.get("HOME_FOR_" + user.upper(), pw.pw_dir), USER=user, LOGNAME=user)
    return full_env, kwargs


def _signal_group(proc: subprocess.Popen, sig: int, only_if_left: bool = False) -> None:
    try:
        pgid = os.getpgid(proc.pid) if proc.poll() is None else proc.pid
    except ProcessLookupError:
        pgid = proc.pid
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        if not only_if_left:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
