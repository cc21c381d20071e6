"""Suite lifecycle: bring a suite up (local processes, Docker Compose or an external URL),
hand its endpoints and accounts to the scenarios, and take it down again.

The modes are registered by name; ``deployment(suite, ...)`` picks the class for the suite's
mode (or ``external`` when a URL is given).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..suites import Account, Suite

MODES: dict[str, type] = {}
STATE_FILE = "suite-state.json"
PASSWORDS_ENV = "POC_ACCOUNT_PASSWORDS"


def mode(name: str):
    def deco(cls):
        MODES[name] = cls
        cls.mode = name
        return cls
    return deco


class Deployment:
    """A suite that is up: its endpoints (named base URLs), accounts and reported version."""

    mode = "?"

    def __init__(self, suite: Suite, run_dir: Path, *, url: str | None = None, provision: bool = True,
                 keep: bool = False, progress=print):
        self.suite, self.run_dir, self.url = suite, Path(run_dir), url
        self.provision, self.keep, self.progress = provision, keep, progress
        self.endpoints: dict[str, str] = {}
        self.accounts: dict[str, Account] = {}
        self.version = "unknown"
        # what the run made on the deployment and could not remove: {"what": ..., "how": ...} each
        self.left_behind: list[dict] = []

    def up(self) -> None:
        raise NotImplementedError

    def down(self) -> None:
        pass

    def dead(self) -> list[str]:
        return []

    def pids(self) -> dict[str, int]:
        return {}

    # -- what the scenarios see -----------------------------------------------------------------
    def url_for(self, capability: str, account: Account | None = None) -> str:
        template = self.suite.capabilities[capability]["url"]
        return template.format_map({**self.endpoints, "url": (self.url or "").rstrip("/"),
                                    "user": account.username if account else ""})

    def hosts(self) -> list[str]:
        """The origins this suite declares: the only places load may go and the page's own hosts."""
        from urllib.parse import urlsplit
        return sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.endpoints.values() if "://" in u})

    def state(self) -> dict:
        """What a worker process needs to reach the suite, without any password."""
        return {"suite": self.suite.name, "folder": str(self.suite.folder), "mode": self.mode,
                "url": self.url, "endpoints": self.endpoints, "version": self.version, "pids": self.pids(),
                "accounts": {r: {"username": a.username, "display_name": a.display_name, "email": a.email,
                                 "password_env": a.password_env} for r, a in self.accounts.items()}}

    def write_state(self) -> Path:
        path = self.run_dir / STATE_FILE
        path.write_text(json.dumps(self.state(), indent=2, ensure_ascii=False), encoding="utf-8")
        os.environ[PASSWORDS_ENV] = json.dumps({**{r: a.password for r, a in self.accounts.items()},
                                                **{f"{r}:login": a.login_password for r, a in self.accounts.items()
                                                   if a.login_password}})
        return path


class AttachedDeployment(Deployment):
    """The view of a deployment from a pytest-xdist worker: read from the state file."""

    def __init__(self, suite: Suite, run_dir: Path):
        super().__init__(suite, run_dir)
        state = json.loads((self.run_dir / STATE_FILE).read_text(encoding="utf-8"))
        passwords = json.loads(os.environ.get(PASSWORDS_ENV, "{}"))
        self.mode, self.url = state["mode"], state["url"]
        self.endpoints, self.version, self._pids = state["endpoints"], state["version"], state["pids"]
        self.accounts = {r: Account(r, a["username"], passwords.get(r, ""), a["display_name"], a["email"],
                                    a["password_env"], passwords.get(f"{r}:login", ""))
                         for r, a in state["accounts"].items()}

    def pids(self) -> dict[str, int]:
        return self._pids

    def dead(self) -> list[str]:
        out = []
        for name, pid in self._pids.items():
            try:
                os.kill(pid, 0)
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split(")")[-1].split()[0] == "Z":
                        out.append(f"{name} (pid {pid}) has exited")
            except (ProcessLookupError, FileNotFoundError):
                out.append(f"{name} (pid {pid}) has exited")
            except PermissionError:
                pass
        return out


def sigterm_as_interrupt(signum, frame):
    """A SIGTERM handler: stop like Ctrl-C, so the suite is taken down and the results kept."""
    raise KeyboardInterrupt("terminated")


def deployment(suite: Suite, run_dir: Path, *, url: str | None = None, **kwargs) -> Deployment:
    from . import compose, external, local_mode  # noqa: F401  (register the modes)
    from ..suites import refuse_reference
    refuse_reference(suite)  # a reference column has no servers: a clear message, not a KeyError
    name = "external" if url else suite.mode
    return MODES[name](suite, run_dir, url=url, **kwargs)
