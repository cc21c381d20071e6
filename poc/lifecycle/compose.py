"""The `compose` mode: the suite's docker-compose.yml, brought up with `docker compose up --wait`,
provisioned, evaluated and taken down with its volumes (unless KEEP).

Every ``${VAR:?...}`` the Compose file requires and the environment does not set (database and
admin passwords) gets a fresh random value for this run, handed to `docker compose` through its
environment only and registered for redaction. A suite's Compose file may say where the harness
reaches an endpoint in this deployment with a top-level ``x-poc-endpoints`` mapping.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess

import yaml

from .. import yamlfile
from ..errors import SuiteStartError
from ..redact import add as add_secret
from ..redact import redact
from . import Deployment, mode
from .external import Provisioner, resolve_endpoints, suite_version

UP_TIMEOUT = 900  # seconds for `up --wait`: first pulls and installs are slow
REQUIRED_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*):\?")
DEFAULT_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?-([^}]*))?\}")


def _run(argv: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)


def engine_problem() -> str | None:
    """Why Docker Compose cannot run here, or None. Quick: a missing engine answers at once."""
    if not shutil.which("docker"):
        return "the `docker` command is not installed"
    try:
        info = _run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker info` did not answer ({type(exc).__name__})"
    if info.returncode != 0 or not info.stdout.strip():
        last = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no Docker engine answers on this machine (`docker info`: {last[:200]})"
    try:
        compose = _run(["docker", "compose", "version"], timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return "`docker compose version` did not answer"
    if compose.returncode != 0:
        return "the Docker Compose plugin is missing (`docker compose version` failed)"
    return None


def engine_answers() -> bool:
    return engine_problem() is None


def required_variables(compose_text: str) -> list[str]:
    """The ${VAR:?} names the Compose file needs, comments left out."""
    lines = (line.split("#", 1)[0] if line.lstrip().startswith("#") else line for line in compose_text.splitlines())
    return sorted(set(REQUIRED_VAR.findall("\n".join(lines))))


def interpolate(text: str, env: dict) -> str:
    """Compose's ${VAR} / ${VAR:-default} for the harness's own reading of x-poc-endpoints."""
    return DEFAULT_VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), text)


def external_hint(suite_name: str) -> str:
    return (f"Evaluate a running deployment instead (external mode), with the admin's password in the "
            f"environment:\n  make evaluate SUITE={suite_name} URL=https://your-{suite_name}.example.dk\n"
            f"  (or: python -m poc evaluate --suite {suite_name} --url https://your-{suite_name}.example.dk)")


@mode("compose")
class ComposeDeployment(Deployment):
    def _argv(self, *args: str) -> list[str]:
        spec = self.suite.config["compose"]
        project = spec.get("project") or f"poc-{self.suite.name}"
        return ["docker", "compose", "-f", str(self.suite.file(spec["file"])), "-p", project, *args]

    def up(self) -> None:
        problem = engine_problem()
        if problem:
            raise SuiteStartError(f"suite {self.suite.name!r} runs under Docker Compose, but {problem}.\n"
                                  + external_hint(self.suite.name))
        spec = self.suite.config["compose"]
        compose_file = self.suite.file(spec["file"])
        text = compose_file.read_text(encoding="utf-8")
        self.env = dict(os.environ)
        for var in required_variables(text):
            if not self.env.get(var):
                self.env[var] = secrets.token_urlsafe(18)
        add_secret(*(self.env[v] for v in required_variables(text)))
        self.url = spec["url"]
        overrides = (yamlfile.safe_load(text, compose_file) or {}).get("x-poc-endpoints") or {}
        self.endpoints = resolve_endpoints(self.suite, self.url,
                                           {k: interpolate(str(v), self.env) for k, v in overrides.items()})
        self.started = True
        self.progress(f"starting {self.suite.name} with docker compose (first start pulls images) ...")
        self._compose("up", "-d", "--wait", "--wait-timeout", str(UP_TIMEOUT), timeout=UP_TIMEOUT + 60)
        exec_argv = (self.suite.config.get("provision") or {}).get("compose_exec")
        if exec_argv:  # a suite's own set-up step inside a container (e.g. Moodle's web services)
            self._compose("exec", "-T", *map(str, exec_argv), timeout=300, before_log=self._take_token)
        # the admin exists (the Compose file created it); the test accounts are made through the API
        os_env_backup = {k: os.environ.get(k) for k in required_variables(text)}
        try:
            os.environ.update({k: self.env[k] for k in required_variables(text)})
            self.provisioner = Provisioner(self, "compose")
            self.accounts = self.provisioner.accounts()
        finally:
            for k, v in os_env_backup.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.provisioner.provision()
        self.provisioner.use_app_passwords()
        self.version = suite_version(self, "compose")

    def _take_token(self, output: str) -> None:
        """A token the suite's set-up step printed (its last line, e.g. Moodle's administrator token,
        32 hex digits) becomes a secret before anything is logged, and reaches the adapter through
        the variable the suite names (provision.admin_token_env), in this process only."""
        env_name = (self.suite.config.get("provision") or {}).get("admin_token_env")
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        if env_name and lines and re.fullmatch(r"[0-9a-f]{32}", lines[-1]):
            add_secret(lines[-1])
            os.environ[env_name] = lines[-1]

    def _compose(self, *args: str, timeout: float, before_log=None) -> subprocess.CompletedProcess:
        argv = self._argv(*args)
        logdir = self.run_dir / "evidence" / "logs"
        logdir.mkdir(parents=True, exist_ok=True)
        try:
            result = _run(argv, timeout=timeout, env=getattr(self, "env", None))
        except subprocess.TimeoutExpired:
            raise SuiteStartError(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from None
        if before_log is not None:
            before_log(result.stdout)
        with open(logdir / "compose.log", "a", encoding="utf-8") as log:
            log.write(redact(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}\n"))
        if result.returncode != 0:
            raise SuiteStartError(f"`{' '.join(argv)}` exited {result.returncode}:\n"
                                  + redact((result.stdout + result.stderr)[-2000:]))
        return result

    def down(self) -> None:
        if not getattr(self, "started", False):
            return
        if self.keep:
            self.progress(f"KEEP: {self.suite.name} stays up with its volumes; stop it with: "
                          + " ".join(self._argv("down", "-v")))
            return
        try:
            self._compose("down", "-v", "--remove-orphans", timeout=300)
        finally:
            self.started = False
