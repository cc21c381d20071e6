"""Keeps secrets out of everything the harness writes.

Every password the harness learns is registered here; ``redact`` replaces each occurrence (and
its URL-encoded and base64 Basic-auth forms) before text reaches a log, a results file or a report.
Passwords also reach pytest-xdist workers this way, through the environment, never through a file.
"""

from __future__ import annotations

import base64
import json
import os
import re
from urllib.parse import quote

MASK = "********"
_ENV = "POC_SECRETS"
_secrets: set[str] = set()
_pattern: re.Pattern | None = None


def add(*values: str) -> None:
    global _pattern
    for value in values:
        if value and len(value) >= 4:
            _secrets.add(value)
    _pattern = None


def known() -> set[str]:
    _load_env()
    return set(_secrets)


def _load_env() -> None:
    raw = os.environ.get(_ENV)
    if raw:
        try:
            add(*json.loads(raw))
        except ValueError:
            pass


def export_to_env() -> None:
    """Hand the secrets to child processes (pytest-xdist workers) through the environment."""
    os.environ[_ENV] = json.dumps(sorted(_secrets))


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode().rstrip("=")}


def redact(text):
    global _pattern
    if not isinstance(text, str) or not text:
        return text
    if _pattern is None:
        _load_env()
        forms = sorted({f for s in _secrets for f in _forms(s)}, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, forms))) if forms else None
    if _pattern is None:
        return text
    text = _pattern.sub(MASK, text)
    return re.sub(r"(?i)(authorization:\s*basic\s+)\S+", r"\1" + MASK, text)


def redact_logs(folder) -> None:
    """Mask every known secret in the *.log files of a folder (a run's evidence/logs)."""
    from pathlib import Path
    folder = Path(folder)
    if not folder.exists():
        return
    for path in folder.glob("*.log"):
        text = path.read_text(encoding="utf-8", errors="replace")
        cleaned = redact(text)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
