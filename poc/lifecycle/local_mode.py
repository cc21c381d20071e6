"""The `local` mode: the suite's own launcher.py starts real servers as processes here."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import SuiteStartError
from ..redact import add as add_secret
from . import Deployment, mode
from .local import HOST, LocalLauncher


@mode("local")
class LocalDeployment(Deployment):
    def up(self) -> None:
        module = self.suite.load_module(self.suite.config["local"]["launcher"], "launcher")
        cls = getattr(module, "Launcher", None)
        if not (isinstance(cls, type) and issubclass(cls, LocalLauncher)):
            raise SuiteStartError(f"{self.suite.folder}/{self.suite.config['local']['launcher']} "
                                  "defines no class Launcher(LocalLauncher)")
        self.workdir = Path(tempfile.mkdtemp(prefix=f"poc-{self.suite.name}-"))
        self.launcher: LocalLauncher = cls(self.suite, self.workdir, self.run_dir / "evidence" / "logs")
        self.launcher.check_installed()
        self.accounts = self.suite.accounts(generate=True)
        add_secret(*(a.password for a in self.accounts.values()))
        self.launcher.accounts = list(self.accounts.values())
        from .. import sso  # the harness's identity provider, when the suite is set up as its SP/RP (IAM-05/06)
        self.sso = sso.prepare(self)
        self.progress(f"starting {self.suite.name} (local processes on {HOST}) ...")
        self.endpoints = self.launcher.start()
        self.launcher.create_accounts(list(self.accounts.values()))
        self.version = self.launcher.version()
        sso.finish(self, self.sso)

    def pids(self) -> dict[str, int]:
        launcher = getattr(self, "launcher", None)
        return launcher.pids() if launcher else {}

    def dead(self) -> list[str]:
        launcher = getattr(self, "launcher", None)
        return launcher.dead() if launcher else []

    def down(self) -> None:
        from .. import sso
        sso.stop(getattr(self, "sso", None))
        launcher = getattr(self, "launcher", None)
        if launcher is not None:
            try:
                launcher.stop()
            finally:
                self.launcher = None
        workdir = getattr(self, "workdir", None)
        if workdir and not self.keep:
            shutil.rmtree(workdir, ignore_errors=True)
