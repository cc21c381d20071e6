"""Fixtures for the harness's own tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def reports(tmp_path, monkeypatch) -> Path:
    """An empty reports folder of the test's own (POC_REPORTS_DIR)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    monkeypatch.setenv("POC_REPORTS_DIR", str(folder))
    return folder


@pytest.fixture
def poc_cli(reports):
    """Run `python -m poc ...` as a user would; returns the CompletedProcess (text)."""

    def run(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "POC_REPORTS_DIR": str(reports), **(env or {})}
        return subprocess.run([sys.executable, "-m", "poc", *map(str, args)], cwd=ROOT, env=full_env,
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture
def suites_copy(tmp_path, monkeypatch) -> Path:
    """A copy of suites/ that a test may break (POC_SUITES_DIR points at it)."""
    folder = tmp_path / "suites"
    shutil.copytree(ROOT / "suites", folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("POC_SUITES_DIR", str(folder))
    return folder


@pytest.fixture
def wsgidav_server(tmp_path):
    """wsgidav_server(password) -> the URL of a real WsgiDAV on 127.0.0.1 serving an empty folder, with one
    user `elev` (HTTP Basic); stopped at the end of the test."""
    import time

    import requests
    import yaml

    from poc.lifecycle.local import free_port
    procs = []

    def start(password: str) -> str:
        root = tmp_path / f"dav-{len(procs)}"
        root.mkdir()
        port = free_port()
        config = {"host": "127.0.0.1", "port": port, "provider_mapping": {"/": str(root)}, "verbose": 1,
                  "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
                  "simple_dc": {"user_mapping": {"*": {"elev": {"password": password}}}}}
        cfg = root.with_suffix(".yaml")
        cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
        procs.append(subprocess.Popen([sys.executable, "-m", "wsgidav.server.server_cli", "-c", str(cfg)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                requests.get(url, timeout=1)
                return url
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"WsgiDAV did not answer on {url}")

    yield start
    for p in procs:
        p.terminate()
        p.wait(10)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
