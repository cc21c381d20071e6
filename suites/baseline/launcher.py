"""Starts the baseline suite: Radicale (CalDAV/CardDAV) and WsgiDAV (WebDAV) from the harness's
own virtual environment, each on a free port on 127.0.0.1 with its data in the run's work folder."""

from __future__ import annotations

import sys
from importlib.metadata import version as dist_version

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
delay = 0
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
        self._write_wsgidav_config()
        wsgidav = self.spawn("wsgidav", [sys.executable, "-m", "wsgidav.server.server_cli", "-c", self.wsgidav_config])

        self.wait_http(f"http://{HOST}:{radicale_port}/.web/", radicale, timeout)
        self.wait_http(f"http://{HOST}:{self.wsgidav_port}/", wsgidav, timeout, expect=(401, 200))
        return {"dav": f"http://{HOST}:{radicale_port}", "files": f"http://{HOST}:{self.wsgidav_port}"}

    def _write_wsgidav_config(self) -> None:
        config = {
            "host": HOST, "port": self.wsgidav_port,
            "provider_mapping": {"/": str(self.files_root)},
            "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False,
                                   "trusted_auth_header": None},
            "simple_dc": {"user_mapping": {"*": {u: {"password": p} for u, p in self.users.items()}}},
            # cheroot's default listen backlog of 5 drops the SYNs of a login storm (clients retry after 1 s)
            "server_args": {"request_queue_size": 128},
            "lock_storage": True, "property_manager": True,
            "dir_browser": {"enable": True},
            "verbose": 3, "logging": {"enable_loggers": []},
        }
        self.wsgidav_config.write_text(yaml.safe_dump(config))

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
        accounts are in the file too, so they keep working. Neither server knows classes."""
        people = list(school.people)
        lines = [f"{p.username}:{sha512_crypt.using(rounds=5000).hash(p.password)}" for p in people]
        with open(self.htpasswd, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        for p in people:
            (self.files_root / p.username).mkdir(exist_ok=True)
        old = [(n, p) for n, p in self.processes if n == "wsgidav"]
        for _name, proc in old:
            self.stop_process(proc)
        self.processes = [(n, p) for n, p in self.processes if n != "wsgidav"]
        self._write_wsgidav_config()
        config = yaml.safe_load(self.wsgidav_config.read_text())
        config.pop("simple_dc", None)
        config["http_authenticator"]["domain_controller"] = "wsgidav.dc.htpasswd_dc.HtpasswdDomainController"
        config["htpasswd_dc"] = {"htpasswd_file": str(self.htpasswd)}
        self.wsgidav_config.write_text(yaml.safe_dump(config))
        wsgidav = self.spawn("wsgidav", [sys.executable, "-m", "wsgidav.server.server_cli", "-c", self.wsgidav_config])
        self.wait_http(f"http://{HOST}:{self.wsgidav_port}/", wsgidav, self.suite.config["local"].get("start_timeout", 30),
                       expect=(401, 200))
        return {"users": len(people), "classes": 0,
                "note": "Radicale and WsgiDAV have no classes: only the users are provisioned; "
                        "WsgiDAV was restarted once to read them"}

    def version(self) -> str:
        return f"Radicale {dist_version('radicale')}, WsgiDAV {dist_version('wsgidav')}"
