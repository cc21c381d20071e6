"""The suite a load run reaches, read from a suite-state.json: endpoints, capabilities (from the
suite's suite.yaml, or from the state file itself), accounts and the hosts it declares.

Passwords never come from a file: from POC_ACCOUNT_PASSWORDS (set by the harness for its own
child processes) or else from each account's own environment variable named in suite.yaml.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import PocError
from ..lifecycle import PASSWORDS_ENV
from ..suites import Account


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class Target:
    suite: str
    endpoints: dict
    capabilities: dict  # capability -> {"protocol": ..., "url": template}
    accounts: dict      # role -> Account
    url: str | None = None

    def url_for(self, capability: str, account: Account | None = None) -> str:
        template = self.capabilities[capability]["url"]
        return template.format_map({**self.endpoints, "url": (self.url or "").rstrip("/"),
                                    "user": account.username if account else ""})

    def protocol(self, capability: str) -> str | None:
        spec = self.capabilities.get(capability)
        return spec.get("protocol") if spec else None

    def hosts(self) -> list[str]:
        """The origins the suite declares (as Deployment.hosts())."""
        return sorted({origin(u) for u in self.endpoints.values() if "://" in str(u)})


def from_state(path: Path | str) -> Target:
    path = Path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PocError(f"{path}: cannot read the suite state ({exc}); start the suite with `python -m poc load` "
                       "or point POC_LOAD_STATE at reports/runs/<id>/suite-state.json") from None
    capabilities = state.get("capabilities")
    if capabilities is None:
        from .. import suites
        folder = Path(state.get("folder") or suites.suites_dir() / state["suite"])
        capabilities = suites.load(folder.name, folder.parent).capabilities
    passwords = json.loads(os.environ.get(PASSWORDS_ENV) or "{}")
    accounts = {}
    for role, a in state.get("accounts", {}).items():
        password = passwords.get(role) or os.environ.get(a.get("password_env") or "", "")
        accounts[role] = Account(role, a["username"], password, a.get("display_name", ""), a.get("email", ""),
                                 a.get("password_env", ""))
    return Target(state["suite"], state.get("endpoints", {}), capabilities, accounts, state.get("url"))


def from_deployment(dep) -> Target:
    return Target(dep.suite.name, dict(dep.endpoints), dict(dep.suite.capabilities), dict(dep.accounts), dep.url)
