"""Local launcher for the Kolibri learning platform (PyPI ``kolibri``).

Kolibri lives in its own virtual environment (``.venv-kolibri/`` at the repo root,
see :func:`ensure_installed`), never in the harness's. Each run gets a fresh
``KOLIBRI_HOME`` inside the launcher's work folder; Kolibri copies the pre-migrated
SQLite databases shipped in its wheel, so a first start takes a few seconds and no
prepared home template is needed.

The server runs in the foreground (``kolibri start --foreground``): one process (the
HTTP servers and the task workers are threads), owned by the harness, bound to
127.0.0.1 only, with the telemetry ping and zeroconf discovery turned off, except in an
isolated run (PRI-07, poc/isolation), where Kolibri runs with them on, as shipped.

The device and one facility are provisioned on first start from an automatic
provisioning file (``KOLIBRI_AUTOMATIC_PROVISION_FILE``, a 0600 JSON file that
Kolibri deletes after use), so no password appears on a command line or in a log.
The device superuser gets a random password that lives only in this process.

Command line (the install step used by ``make``/CI)::

    python suites/kolibri/launcher.py install     # prints the kolibri executable
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KOLIBRI_VERSION = "0.19.5"
VENV_DIRNAME = ".venv-kolibri"
_INSTALLED_MARKER = ".poc-installed"  # written only after a complete pip install


# --------------------------------------------------------------------- install
def venv_path(repo_root: Path) -> Path:
    return Path(repo_root) / VENV_DIRNAME


def kolibri_executable(repo_root: Path) -> Path:
    return venv_path(repo_root) / "bin" / "kolibri"


def installed_version(repo_root: Path) -> str | None:
    """The kolibri version the venv was completely installed with, or None."""
    marker = venv_path(repo_root) / _INSTALLED_MARKER
    exe = kolibri_executable(repo_root)
    try:
        version = marker.read_text().strip()
    except OSError:
        return None
    return version if exe.exists() else None


def ensure_installed(repo_root: Path, version: str = KOLIBRI_VERSION,
                     python: str | None = None, quiet: bool = True) -> Path:
    """Create ``<repo_root>/.venv-kolibri`` with ``kolibri==version`` if missing.

    Idempotent and safe to call concurrently (a lock file serialises installs).
    A venv left half-installed (no marker) or holding another version is rebuilt.
    Returns the path of the ``kolibri`` executable.
    """
    repo_root = Path(repo_root).resolve()
    venv = venv_path(repo_root)
    exe = kolibri_executable(repo_root)
    if installed_version(repo_root) == version:
        return exe
    # The lock lives outside the repo (nothing to ignore) and is never removed
    # (removing it would let a third installer lock a different file).
    lock_path = Path(tempfile.gettempdir()) / (
        "poc-kolibri-venv-" + hashlib.sha1(str(venv).encode()).hexdigest()[:12] + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if installed_version(repo_root) == version:  # another process did it
                return exe
            if venv.exists():
                shutil.rmtree(venv)
            interpreter = python or os.environ.get("KOLIBRI_PYTHON") or sys.executable
            env = _clean_env()
            subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, env=env)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install",
                   "--disable-pip-version-check", "--no-input"]
            if quiet:
                pip.append("--quiet")
            subprocess.run(pip + [f"kolibri=={version}"], check=True, env=env)
            if not exe.exists():
                raise RuntimeError(f"pip installed kolibri=={version} but {exe} is missing")
            (venv / _INSTALLED_MARKER).write_text(version + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return exe


_DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP",
                "DJANGO_SETTINGS_MODULE", "POC_SECRETS")


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The harness environment minus anything that would mix Python environments
    or leak a caller's Kolibri settings into this instance."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KOLIBRI_")
           and k not in _DROPPED_ENV}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra or {})
    return env


def _main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Install Kolibri into its own venv.")
    ap.add_argument("command", choices=["install"])
    ap.add_argument("--repo-root", default=str(Path(__file__).resolve().parents[2]))
    ap.add_argument("--version", default=KOLIBRI_VERSION)
    args = ap.parse_args(argv)
    print(ensure_installed(Path(args.repo_root), args.version, quiet=False))
    return 0


if __name__ == "__main__":  # the install step needs neither poc nor requests
    sys.exit(_main())


# -------------------------------------------------------------------- launcher
from poc.lifecycle.local import LocalLauncher, SuiteStartError  # noqa: E402


def _load_api():
    """The adapter beside this file, whether this file was imported as part of a
    package or loaded by path (then under a unique name: other suites may have
    an ``api.py`` too)."""
    if __package__:
        from . import api  # type: ignore[import-not-found]
        return api
    import importlib.util
    name = "poc_suite_kolibri_api"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("api.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _isolated() -> bool:
    """An isolated run (poc/isolation): the suite runs with its network defaults as shipped."""
    try:
        from poc.isolation import as_shipped
    except ImportError:
        return False
    return as_shipped()


_api = _load_api()
KolibriClient, KolibriError = _api.KolibriClient, _api.KolibriError


class Launcher(LocalLauncher):
    apt_packages: list[str] = []  # pip-installed into its own venv instead

    venv_dirname = VENV_DIRNAME
    kolibri_version = KOLIBRI_VERSION
    facility_name = "OS2skole PoC"
    #: 'formal' is Kolibri's preset for schools; NB it lets learners sign in
    #: without a (correct) password: see NOTES.md. The launcher keeps Kolibri's
    #: behaviour as shipped; tests read the setting and report it.
    facility_preset = "formal"
    language_id = "en"  # Kolibri 0.19.5 has no Danish ('da') UI language
    #: Kolibri usernames: letters, digits and '_' only (or an e-mail address), at
    #: most 30 characters; a bad one is only logged as a warning at provisioning.
    superuser_name = "poc_superuser"
    #: teacher -> class coach (coach only of the classes they are assigned to);
    #: True makes teachers facility-wide coaches (all classes).
    teacher_facility_coach = False
    start_timeout = 180

    proc: subprocess.Popen | None = None
    base_url: str | None = None

    # ------------------------------------------------------------- install
    def missing(self) -> list[str]:
        return [] if installed_version(self.repo_root) == self.kolibri_version \
            else [f"kolibri=={self.kolibri_version} in {self.venv_dirname}/"]

    def check_installed(self) -> None:
        """Install Kolibri into its own venv on first use (about 15 s, 380 MB)."""
        try:
            ensure_installed(self.repo_root, self.kolibri_version)
        except (OSError, subprocess.CalledProcessError, RuntimeError) as e:
            raise SuiteStartError(
                f"kolibri: could not install kolibri=={self.kolibri_version} into "
                f"{venv_path(self.repo_root)} ({e}). Install it with: "
                "python suites/kolibri/launcher.py install") from e

    # ---------------------------------------------------------------- start
    def start(self) -> dict[str, str]:
        try:
            return self._start()
        except BaseException:
            self.stop()  # leave nothing running behind a failed start
            raise

    def _start(self) -> dict[str, str]:
        t0 = time.monotonic()
        self.check_installed()
        exe = kolibri_executable(self.repo_root)
        self.timings = {"install_s": round(time.monotonic() - t0, 2)}
        config = getattr(self.suite, "config", None) or {}
        timeout = (config.get("local") or {}).get("start_timeout", self.start_timeout)

        home = self.workdir / "kolibri-home"
        home.mkdir(parents=True, exist_ok=True)
        port = self.free_port()
        zip_port = self.free_port()
        while zip_port == port:
            zip_port = self.free_port()
        self.port, self.zip_port = port, zip_port
        self.home = home
        self.base_url = f"http://127.0.0.1:{port}"

        self._superuser_password = secrets.token_urlsafe(24)
        provision = self.workdir / "kolibri-provision.json"
        fd = os.open(provision, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({
                "facility_name": self.facility_name,
                "preset": self.facility_preset,
                "device_settings": {
                    "language_id": self.language_id,
                    "allow_guest_access": False,
                    "landing_page": "sign-in",
                },
                "superuser": {"username": self.superuser_name,
                              "password": self._superuser_password},
            }, f)
        self._provision_file = provision

        # Kolibri's own network traffic, silenced by the harness; in an isolated run (PRI-07, a network
        # namespace that leads nowhere, poc/isolation) Kolibri runs as shipped, with both on.
        quiet = {
            "KOLIBRI_DISABLE_PING": "true",  # no telemetry / update ping
            "KOLIBRI_ZEROCONF_ENABLED": "false",  # no mDNS broadcast/discovery
        }
        self.changed_defaults = {} if _isolated() else dict(quiet)
        self.as_shipped_note = ("as shipped: telemetry ping and zeroconf on (isolated run)" if _isolated() else
                                "the harness switched off Kolibri's telemetry ping and zeroconf discovery")
        env = _clean_env({
            "KOLIBRI_HOME": str(home),
            "KOLIBRI_LISTEN_ADDRESS": "127.0.0.1",
            "KOLIBRI_HTTP_PORT": str(port),
            "KOLIBRI_ZIP_CONTENT_PORT": str(zip_port),
            **self.changed_defaults,
            "KOLIBRI_RUN_MODE": "os2skole-poc",  # flags a non-user instance (a label in the ping; changes no traffic)
            "KOLIBRI_USE_WORKER_MULTIPROCESSING": "false",  # no child processes
            "KOLIBRI_AUTOMATIC_PROVISION_FILE": str(provision),
        })
        log = self.logdir / "kolibri.log"
        log_offset = log.stat().st_size if log.exists() else 0
        t1 = time.monotonic()
        # spawn() lays env over os.environ, so what must not reach Kolibri (the
        # harness's PYTHONPATH, a caller's KOLIBRI_* settings) is unset by env(1),
        # which execs: the PID stays Kolibri's own.
        unset = [k for k in os.environ if k not in env]
        argv = [str(exe), "start", "--foreground", "--port", str(port), "--zip-port", str(zip_port)]
        if unset:
            argv = ["env"] + [a for k in unset for a in ("-u", k)] + argv
        self.proc = self.spawn("kolibri", argv, env=env, cwd=self.workdir)
        self.wait_http(self.base_url + "/api/public/info/", self.proc, timeout=timeout)
        self._wait_bus_running(log, log_offset)
        self.timings["start_s"] = round(time.monotonic() - t1, 2)

        # Provisioning runs before the server listens; Kolibri removes the file
        # only after it succeeded.
        if provision.exists():
            provision.unlink()
            raise SuiteStartError(
                "Kolibri started but did not provision the device from "
                f"{provision.name}; see {self.logdir / 'kolibri.log'}")
        client = KolibriClient(self.base_url)
        try:
            self.facility_id = client.facility_id(self.facility_name)
            client.login(self.superuser_name, self._superuser_password, self.facility_id)
            client.logout()
        except KolibriError as e:
            raise SuiteStartError(f"Kolibri at {self.base_url} is up but not usable: {e}") from e
        return {"web": self.base_url}

    def _wait_bus_running(self, log: Path, offset: int, timeout: float = 30) -> None:
        """Wait for Kolibri's process bus to reach RUN.

        The HTTP port answers while the bus is still in START; a SIGTERM in that
        window makes Kolibri hang in "Waiting for child threads to terminate"
        until it is killed. The bus state is only visible in its log, so read it
        there; if the line never shows up, go on (stop still kills by PID)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with open(log, "rb") as f:
                    f.seek(offset)
                    if b"Bus state: RUN" in f.read():
                        return
            except OSError:
                pass
            if self.proc is not None and self.proc.poll() is not None:
                raise SuiteStartError(f"Kolibri exited with {self.proc.returncode}; see {log}")
            time.sleep(0.1)

    # ------------------------------------------------------------- accounts
    def admin_client(self) -> KolibriClient:
        """A client signed in as the device superuser made at provisioning."""
        if not self.base_url:
            raise SuiteStartError("Kolibri is not started")
        client = KolibriClient(self.base_url)
        client.login(self.superuser_name, self._superuser_password, self.facility_id)
        return client

    def create_accounts(self, accounts) -> None:
        """pupil -> learner, teacher -> coach, admin -> facility admin.

        Existing users (same username) get their password, name and role reset,
        so calling this twice is harmless."""
        for acc in accounts:
            if not _valid_username(acc.username):
                raise SuiteStartError(
                    f"kolibri: username {acc.username!r} ({acc.role}) is not allowed by Kolibri: "
                    "letters, digits and '_' only, at most 30 characters (or an e-mail "
                    "address); change it in suites/kolibri/suite.yaml")
        client = self.admin_client()
        try:
            existing = {u["username"]: u for u in client.users()}
            for acc in accounts:
                role = {"pupil": "learner", "pupil2": "learner", "teacher": "coach", "admin": "admin"}.get(acc.role)
                if role is None:
                    raise SuiteStartError(f"kolibri: account {acc.username!r} has unknown role "
                                          f"{acc.role!r} (pupil, teacher, admin)")
                name = getattr(acc, "display_name", None) or acc.username
                if acc.username in existing:
                    self._reset_user(client, existing[acc.username], acc.password, name, role)
                else:
                    client.create_user(acc.username, acc.password, name, role=role,
                                       facility=self.facility_id,
                                       facility_coach=self.teacher_facility_coach)
        except KolibriError as e:
            # e carries the response body, which never includes a password
            raise SuiteStartError(f"Kolibri: creating accounts failed: {e}") from e
        finally:
            client.logout()

    def _reset_user(self, client: KolibriClient, user: dict, password: str,
                    name: str, role: str) -> None:
        client.request("PATCH", f"/api/auth/facilityuser/{user['id']}/",
                       json={"password": password, "full_name": name})
        kinds = {r["kind"] for r in user.get("roles", [])
                 if r.get("collection") == self.facility_id}
        if role == "admin" and "admin" not in kinds:
            client.add_role(user["id"], self.facility_id, "admin")
        elif role == "coach" and not kinds & {"coach", "classroom assignable coach"}:
            kind = "coach" if self.teacher_facility_coach else "classroom assignable coach"
            client.add_role(user["id"], self.facility_id, kind)

    # ------------------------------------------------------------- a school
    #: parallel admin sessions for creating users (Kolibri hashes each password, ~90 ms a user)
    provision_workers = 3

    def provision_school(self, school) -> dict:
        """`python -m poc provision`: the school through Kolibri's REST API, as the device superuser.

        Pupils become learners, teachers class coaches ('classroom assignable coach' on the
        facility); each class becomes a classroom, its pupils members (one bulk POST a class) and
        its teachers coaches of it (one bulk POST a class). Users are created by a few sessions in
        parallel; an existing username gets its password, name and role reset."""
        from concurrent.futures import ThreadPoolExecutor
        from queue import Queue

        bad = [p.username for p in school.people if not _valid_username(p.username)]
        if bad:
            raise SuiteStartError(f"kolibri: {len(bad)} username(s) Kolibri does not allow, e.g. {bad[0]!r}")
        pool: Queue = Queue()
        clients = [self.admin_client() for _ in range(max(1, self.provision_workers))]
        for c in clients:
            pool.put(c)
        try:
            existing = {u["username"]: u for u in clients[0].users()}
            ids: dict[str, str] = {}

            def make(person) -> None:
                client = pool.get()
                try:
                    role = "coach" if person.role == "teacher" else "learner"
                    if person.username in existing:
                        self._reset_user(client, existing[person.username], person.password,
                                         person.display_name, role)
                        ids[person.username] = existing[person.username]["id"]
                    else:
                        made = client.create_user(person.username, person.password, person.display_name,
                                                  role=role, facility=self.facility_id,
                                                  facility_coach=self.teacher_facility_coach)
                        ids[person.username] = made["id"]
                finally:
                    pool.put(client)

            with ThreadPoolExecutor(len(clients)) as ex:
                list(ex.map(make, school.people))
            admin = clients[0]
            rooms = {r["name"]: r["id"] for r in admin.classes()}
            for cls in school.classes:
                room = rooms.get(cls.name) or admin.create_class(cls.name, self.facility_id)["id"]
                members = {u["id"] for u in admin.users(member_of=room)}
                admin.enrol(room, [ids[u] for u in cls.pupils if ids[u] not in members])
                coaches = [{"user": ids[u], "collection": room, "kind": "coach"} for u in cls.teachers]
                if coaches:
                    admin.post("/api/auth/role/", coaches)
        except KolibriError as e:
            raise SuiteStartError(f"Kolibri: provisioning the school failed: {e}") from e
        finally:
            for c in clients:
                try:
                    c.logout()
                except Exception:
                    pass
        return {"users": len(ids), "classes": len(school.classes),
                "memberships": sum(len(c.pupils) for c in school.classes),
                "coach_roles": sum(len(c.teachers) for c in school.classes)}

    # --------------------------------------------------------------- version
    def version(self) -> str:
        if self.base_url and self.proc is not None and self.proc.poll() is None:
            try:
                return KolibriClient(self.base_url, timeout=5).info()["kolibri_version"]
            except Exception:
                pass
        return installed_version(self.repo_root) or self.kolibri_version

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        proc = self.proc
        if proc is not None:
            # None expected (workers are threads); stop_process() also kills the
            # process group. A child that left the group is killed here by PID,
            # after checking the PID still runs Kolibri (PIDs are reused).
            children = {pid: _cmdline(pid) for pid in _child_pids(proc.pid)}
            t0 = time.monotonic()
            self.stop_process(proc, timeout=15)
            for pid, cmd in children.items():
                if cmd and _cmdline(pid) == cmd:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self.timings = getattr(self, "timings", {})
            self.timings["stop_s"] = round(time.monotonic() - t0, 2)
            self.proc = None
        provision = getattr(self, "_provision_file", None)
        if provision is not None and provision.exists():
            provision.unlink()
        super().stop()


_KOLIBRI_FORBIDDEN = re.compile(r'[\s`~!@#$%^&*()\-+={}\[\]\|\\\/:;"\'<>,\.\?]')  # verbatim
_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _valid_username(name: str) -> bool:
    """Kolibri's rule (kolibri/core/auth/models.py validate_username): an e-mail
    address, or at most 30 characters with no space or punctuation but '_'."""
    if _EMAILISH.match(name):
        return True
    return 0 < len(name) <= 30 and _KOLIBRI_FORBIDDEN.search(name) is None


def _child_pids(pid: int) -> list[int]:
    """Direct and indirect children of pid, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
