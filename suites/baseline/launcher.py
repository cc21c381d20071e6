"""Starts the baseline suite: Radicale (CalDAV/CardDAV) and WsgiDAV (WebDAV) from the harness's
own virtual environment, each on a free port on 127.0.0.1 with its data in the run's work folder."""

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

    def version(self) -> str:
        return f"Radicale {dist_version('radicale')}, WsgiDAV {dist_version('wsgidav')}"
