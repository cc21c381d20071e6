"""The `external` mode: a deployment that is already running, reached by its URL.

Used by vendors against their hosted offer and by a municipality against its test instance.
Passwords come only from the environment variables the suite file names.
"""

from __future__ import annotations

import requests

from ..errors import SuiteStartError
from ..redact import add as add_secret
from . import Deployment, mode


@mode("external")
class ExternalDeployment(Deployment):
    def up(self) -> None:
        if not self.url:
            raise SuiteStartError(f"suite {self.suite.name!r} in external mode needs a URL (make evaluate "
                                  f"SUITE={self.suite.name} URL=https://...)")
        if not self.url.startswith(("http://", "https://")):
            raise SuiteStartError(f"URL must start with http:// or https://, got {self.url!r}")
        base = self.url.rstrip("/")
        self.endpoints = {name: tpl.format(url=base) for name, tpl in self.suite.config.get("endpoints", {}).items()}
        self.endpoints.setdefault("url", base)
        self.accounts = self.suite.accounts(generate=False)
        add_secret(*(a.password for a in self.accounts.values()))
        self.progress(f"using the running deployment at {base}")
        try:
            requests.get(base, timeout=10, headers={"Connection": "close"})
        except requests.RequestException as exc:
            raise SuiteStartError(f"{base} does not answer: {type(exc).__name__}: {exc}") from None
        self.version = "external"
