"""Starts the baseline suite: Radicale (CalDAV/CardDAV) and WsgiDAV (WebDAV) from the harness's
own virtual environment, each on a free port on 127.0.0.1 with its data in the run's work folder.

Security settings are left at the servers' defaults (Radicale's [auth] delay of 1 s after a failed
login among them: IAM-13 judges it); where the harness changes one, suite.yaml's harness_changes says
so. WsgiDAV gives every user a share of their own (/<username>/, only that user may sign in to it),
as its per-share user mapping allows: one share for all would let every pupil read every teacher's
files (IAM-07)."""

from __future__ import annotations

import sys
from importlib.metadata import version as dist_version
from pathlib import Path

import yaml
from passlib.hash import sha512_crypt

from poc.lifecycle.local import HOST, LocalLauncher


class Launcher(LocalLauncher):
    pip_packages = ["radicale", "wsgidav", "cheroot"]

    def missing(self) -> list[str]:
        out = []
        for dist in self.pip_packages:
            try:
                dist_version(dist)
            except Exception:
                out.append(dist)
        return out

    def start(self) -> dict[str, str]:
        timeout = self.suite.config["local"].get("start_timeout", 30)
        self.htpasswd = self.workdir / "radicale-users"
        self.htpasswd.write_text("")
        self.files_root = self.workdir / "files"
        self.files_root.mkdir()
        self.users = {a.username: a.password for a in self.accounts}

        radicale_port = self.free_port()
        config = self.workdir / "radicale.conf"
        config.write_text(f"""[server]
hosts = {HOST}:{radicale_port}
max_content_length = 110000000
max_connections = 64
[auth]
type = htpasswd
htpasswd_filename = {self.htpasswd}
htpasswd_encryption = sha512
[rights]
type = owner_only
[storage]
filesystem_folder = {self.workdir / 'collections'}
[web]
type = internal
[logging]
level = info
mask_passwords = True
""")
        radicale = self.spawn("radicale", [sys.executable, "-m", "radicale", "-C", config])

        self.wsgidav_port = self.free_port()
        self.wsgidav_config = self.workdir / "wsgidav.yaml"
        for u in self.users:
            (self.files_root / u).mkdir(exist_ok=True)
        self._write_wsgidav_config()
        wsgidav = self.spawn("wsgidav", [sys.executable, "-m", "wsgidav.server.server_cli", "-c", self.wsgidav_config])

        self.wait_http(f"http://{HOST}:{radicale_port}/.web/", radicale, timeout)
        self.wait_http(f"http://{HOST}:{self.wsgidav_port}/", wsgidav, timeout, expect=(401, 200, 404))
        return {"dav": f"http://{HOST}:{radicale_port}", "files": f"http://{HOST}:{self.wsgidav_port}"}

    def _write_wsgidav_config(self) -> None:
        self.wsgidav_config.write_text(yaml.safe_dump(self._wsgidav_settings()))

    def _wsgidav_settings(self) -> dict:
        return {
            "host": HOST, "port": self.wsgidav_port,
            # one share per user, only that user may sign in to it (realm = share)
            "provider_mapping": {f"/{u}": str(self.files_root / u) for u in self.users},
            "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False,
                                   "trusted_auth_header": None},
            "simple_dc": {"user_mapping": {f"/{u}": {u: {"password": p}} for u, p in self.users.items()}},
            # cheroot's default listen backlog of 5 drops the SYNs of a login storm (clients retry after 1 s)
            "server_args": {"request_queue_size": 128},
            "lock_storage": True, "property_manager": True,
            "dir_browser": {"enable": True},
            "verbose": 3, "logging": {"enable_loggers": []},
        }

    def _restart_wsgidav(self, config: dict | None = None) -> None:
        """WsgiDAV reads its users and shares only at start: stop it and start it again on the same
        port with `config` (default: the current users, one share each)."""
        for _name, proc in [(n, p) for n, p in self.processes if n == "wsgidav"]:
            self.stop_process(proc)
        self.processes = [(n, p) for n, p in self.processes if n != "wsgidav"]
        self.wsgidav_config.write_text(yaml.safe_dump(config or self._wsgidav_settings()))
        wsgidav = self.spawn("wsgidav", [sys.executable, "-m", "wsgidav.server.server_cli", "-c", self.wsgidav_config])
        self.wait_http(f"http://{HOST}:{self.wsgidav_port}/", wsgidav, self.suite.config["local"].get("start_timeout", 30),
                       expect=(401, 200, 404))

    # -- one account at a time, as the server's administrator does it (neither server has an API for
    # users): used by the privacy and leaver scenarios through suites/baseline/admin.py
    def add_account(self, account) -> None:
        """A line in Radicale's htpasswd file (read at each login) and a WsgiDAV share of its own
        (WsgiDAV is restarted to read it)."""
        with open(self.htpasswd, "a", encoding="utf-8") as f:
            f.write(f"{account.username}:{sha512_crypt.using(rounds=5000).hash(account.password)}\n")
        (self.files_root / account.username).mkdir(exist_ok=True)
        self.users[account.username] = account.password
        self._restart_wsgidav()

    def remove_account(self, username: str) -> None:
        """The user's line out of the htpasswd file and its share out of WsgiDAV (restarted); the
        data stays on disk (storage_paths) until delete_user_data."""
        lines = self.htpasswd.read_text(encoding="utf-8").splitlines()
        self.htpasswd.write_text("".join(f"{line}\n" for line in lines if line.split(":", 1)[0] != username),
                                 encoding="utf-8")
        if self.users.pop(username, None) is not None:
            self._restart_wsgidav()

    def storage_paths(self, username: str) -> dict[str, Path]:
        """Where each server keeps this user's data on disk."""
        return {"radicale": self.workdir / "collections" / "collection-root" / username,
                "wsgidav": self.files_root / username}

    def create_accounts(self, accounts) -> None:
        """Radicale reads its htpasswd file at each login, so accounts can be added while it runs;
        WsgiDAV reads its users at start, so start() already gave it self.accounts."""
        lines = [f"{a.username}:{sha512_crypt.using(rounds=5000).hash(a.password)}" for a in accounts]
        self.htpasswd.write_text("\n".join(lines) + "\n")
        for a in accounts:
            (self.files_root / a.username).mkdir(exist_ok=True)

    def provision_school(self, school) -> dict:
        """`python -m poc provision`: the school's teachers and pupils join Radicale's htpasswd file
        (Radicale re-reads it when it changes) and get a files folder each.

        WsgiDAV reads its users only at start, so it is restarted once, on the same port, checking
        that same htpasswd file (WsgiDAV's own HtpasswdDomainController) instead of the user list in
        its config: no school password is written anywhere, only the sha512-crypt hashes. The test
        accounts are in the file too, so they keep working. Neither server knows classes. NB WsgiDAV's
        htpasswd controller checks the password only, not the share: every provisioned user may sign
        in to every share (the scenarios' per-user shares are for a run, not for `provision`)."""
        people = list(school.people)
        lines = [f"{p.username}:{sha512_crypt.using(rounds=5000).hash(p.password)}" for p in people]
        with open(self.htpasswd, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        for p in people:
            (self.files_root / p.username).mkdir(exist_ok=True)
        config = self._wsgidav_settings()
        config.pop("simple_dc", None)
        config["provider_mapping"].update({f"/{p.username}": str(self.files_root / p.username) for p in people})
        config["http_authenticator"]["domain_controller"] = "wsgidav.dc.htpasswd_dc.HtpasswdDomainController"
        config["htpasswd_dc"] = {"htpasswd_file": str(self.htpasswd)}
        self._restart_wsgidav(config)
        return {"users": len(people), "classes": 0,
                "note": "Radicale and WsgiDAV have no classes: only the users are provisioned; "
                        "WsgiDAV was restarted once to read them"}

    def version(self) -> str:
        return f"Radicale {dist_version('radicale')}, WsgiDAV {dist_version('wsgidav')}"
