"""A health/status endpoint for monitoring (`status`): one anonymous GET that answers JSON.

Nextcloud: ``/status.php`` -> ``{"installed": true, "maintenance": false, "needsDbUpgrade": false,
"version": "...", "versionstring": "...", "edition": "", "productname": "Nextcloud", ...}``
(https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/occ_command.html#status);
Collabora: ``/hosting/capabilities``; Moodle: ``/login/token.php`` has none, so Moodle's suite
names none and its status scenarios come out `unsupported`.
"""

from __future__ import annotations

import re

from . import register
from ._http import Session

# what a public status answer must not hold (OPS-01: no passwords, tokens or internal paths)
SENSITIVE_KEYS = re.compile(r"(?i)pass(word)?|secret|token|dbhost|dbuser|datadirectory|api[_-]?key")
INTERNAL_PATH = re.compile(r"(^|[\s\"'])/(var|srv|home|etc|opt|usr)/[\w./-]+")


@register("http-status")
class StatusClient:
    def __init__(self, url: str, account=None, suite=None, *, close_connections: bool = False):
        self.url = url
        self.session = Session(close_connections=close_connections, raise_5xx=False)

    def fetch(self):
        return self.session.get(self.url)

    def healthy(self) -> tuple[bool, dict]:
        r = self.fetch()
        try:
            body = r.json()
        except ValueError:
            return False, {}
        flags_ok = body.get("maintenance") is not True and body.get("installed", True) is not False
        return r.status_code == 200 and isinstance(body, dict) and flags_ok, body

    @staticmethod
    def sensitive(body) -> list[str]:
        """The keys or values of a status answer that look like secrets or internal paths."""
        found = []

        def walk(value, where):
            if isinstance(value, dict):
                for k, v in value.items():
                    if SENSITIVE_KEYS.search(str(k)):
                        found.append(f"{where}{k}")
                    walk(v, f"{where}{k}.")
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, f"{where}{i}.")
            elif isinstance(value, str) and INTERNAL_PATH.search(value):
                found.append(f"{where.rstrip('.')}={value[:60]}")
        walk(body, "")
        return found

    def close(self):
        self.session.close()
