"""The Compose suites: their files parse, every service has a health check and a pinned image,
ports stay on 127.0.0.1, and without a Docker engine `evaluate` stops at once and says what to do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from poc import suites
from poc.lifecycle import compose

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_SUITES = ("nextcloud", "collabora", "moodle")
PINNED = re.compile(r"^[a-z0-9./_-]+:(?!latest$)v?[0-9][A-Za-z0-9._-]*$")
# beside every image: where its tag was checked, when, and that it was not pulled where it was written
SOURCE = re.compile(r"source: https?://\S+.*read (\d{4}-\d{2}-\d{2}).*not pulled here", re.S)


def compose_file(name):
    suite = suites.load(name, ROOT / "suites")
    assert suite.mode == "compose"
    return suite, yaml.safe_load(suite.file(suite.config["compose"]["file"]).read_text())


@pytest.mark.parametrize("name", COMPOSE_SUITES)
def test_compose_file_services_are_healthchecked_and_pinned(name):
    _, data = compose_file(name)
    assert data["services"], f"{name}: no services"
    for service, spec in data["services"].items():
        test = (spec.get("healthcheck") or {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}/{service}: no health check"
        assert PINNED.match(spec["image"]), f"{name}/{service}: image {spec['image']!r} is not pinned to a version"
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}/{service}: port {port} is not bound to 127.0.0.1"


def test_pinning_rule_refuses_floating_tags():
    for bad in ("nextcloud", "nextcloud:latest", "nextcloud:stable-apache", "postgres:alpine", "erseco/alpine-moodle:beta"):
        assert not PINNED.match(bad), bad
    assert PINNED.match("postgres:16.4-alpine") and PINNED.match("collabora/code:24.04.9.2.1")
    assert PINNED.match("erseco/alpine-moodle:v4.5.12")


@pytest.mark.parametrize("name", COMPOSE_SUITES)
def test_every_image_names_its_source_beside_it(name):
    """Each image line has, in the comment block right above it, the published source its tag was checked
    against, the date it was read, and that it was not pulled there; no image from Bitnami's old free
    catalogue (docker.io/bitnami moved its versioned tags to bitnamilegacy in 2025, without updates)."""
    suite, data = compose_file(name)
    lines = suite.file(suite.config["compose"]["file"]).read_text().splitlines()
    for service, spec in data["services"].items():
        assert not spec["image"].startswith(("bitnami/", "docker.io/bitnami/", "bitnamilegacy/")), \
            f"{name}/{service}: {spec['image']} is from Bitnami's retired free catalogue"
        (at,) = [i for i, line in enumerate(lines) if re.match(rf"\s*image:\s*{re.escape(spec['image'])}\s*$", line)]
        above = []
        for line in reversed(lines[:at]):
            if not line.strip().startswith("#"):
                break
            above.insert(0, line.strip().lstrip("#").strip())
        found = SOURCE.search(" ".join(above))
        assert found, f"{name}/{service}: no 'source: <url> ... read <date> ... not pulled here' comment above the image"


@pytest.mark.parametrize("name", COMPOSE_SUITES)
def test_required_secrets_are_variables_never_values(name):
    suite, _ = compose_file(name)
    text = suite.file(suite.config["compose"]["file"]).read_text()
    assert not re.search(r"(?im)^\s*[A-Z_]*PASSWORD:\s*[\"']?(?!\$\{)[^\s\"']+", text), f"{name}: a literal password"
    for var in compose.required_variables(text):
        assert var.startswith("POC_"), var
    admin = suite.config["compose"].get("admin")
    if admin:
        assert admin["password_env"] in compose.required_variables(text)


def test_interpolation_of_endpoint_overrides():
    assert compose.interpolate("http://127.0.0.1:${PORT:-9980}", {}) == "http://127.0.0.1:9980"
    assert compose.interpolate("http://127.0.0.1:${PORT:-9980}", {"PORT": "9999"}) == "http://127.0.0.1:9999"


def test_no_engine_is_named(tmp_path, monkeypatch):
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert "no Docker engine answers" in compose.engine_problem()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert compose.engine_problem() == "the `docker` command is not installed"


@pytest.mark.skipif(compose.engine_answers(), reason="a Docker engine answers here: the suite would start")
def test_evaluate_without_engine_stops_quickly_with_external_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
    env["POC_REPORTS_DIR"] = str(tmp_path)
    t0 = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "poc", "evaluate", "--suite", "nextcloud", "--only", "api"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - t0
    out = result.stdout + result.stderr
    assert result.returncode == 3, out[-2000:]
    assert "Docker" in out and "make evaluate SUITE=nextcloud URL=https://" in out
    assert elapsed < 30, f"took {elapsed:.0f} s"
    assert out.count("no Docker engine") == 1 or out.count("docker") >= 1
    assert not (tmp_path / "runs").exists(), "the check comes before a run folder is made"
