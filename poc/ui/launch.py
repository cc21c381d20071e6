"""Start Debian's Chromium through Playwright. Nothing here downloads a browser of its own:
`playwright install` cannot work on the harness's machines, so a missing browser is a clear
error that says how to install it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import PocError

CHROMIUM = os.environ.get("POC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
INSTALL_HINT = "install it with: apt-get install -y chromium"


class BrowserMissing(PocError):
    """Chromium (or Playwright) is not installed where the harness looks for it."""


def chromium_path() -> Path:
    path = Path(CHROMIUM)
    if not path.is_file() or not os.access(path, os.X_OK):
        found = shutil.which("chromium")
        hint = f" (a chromium was found at {found}: set POC_CHROMIUM={found})" if found and found != str(path) else ""
        raise BrowserMissing(f"the UI scenarios need Debian's Chromium at {path}, which is missing{hint}; "
                             f"{INSTALL_HINT}")
    return path


def available() -> bool:
    try:
        chromium_path()
        return True
    except BrowserMissing:
        return False


def start():
    """(playwright, browser): a running Playwright driver and Chromium. Stop with ``stop``."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - requirements.txt pins it
        raise BrowserMissing(f"Playwright for Python is not installed ({exc}); run `make setup`") from None
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(path), args=ARGS, headless=True)
    except Exception as exc:
        pw.stop()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrowserMissing(f"Chromium at {path} did not start: {first}; reinstall it with: "
                             f"apt-get install --reinstall -y chromium") from None
    return pw, browser


def stop(pw, browser) -> None:
    try:
        browser.close()
    finally:
        pw.stop()
