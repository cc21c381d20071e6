"""caldav-server-tester (PyPI; the tool behind python-caldav's per-server compatibility hints), run as a
test account against a suite's CalDAV URL, and its feature report parsed.

It runs as its own process (the tool's command line from the harness's venv, where it is pinned in
requirements.txt, started through ``_caldav_tester_main.py`` so that Basic credentials go out in
UTF-8) with the account in CALDAV_URL / CALDAV_USERNAME / CALDAV_PASSWORD (python-caldav reads these),
never on its command line. ``--format hints`` prints every feature it observed as a
Python dict literal, the form python-caldav's ``compatibility_hints.py`` keeps::

    {
        'create-calendar': {'support': 'full'},
        'freebusy-query': {'support': 'ungraceful', 'behaviour': 'freebusy query failed: ...'},
        'get-current-user-principal.has-calendar': {'value': True},
    }

A feature's support level becomes an outcome the way python-caldav's own ``is_supported`` reads it:
``full`` and ``quirk`` pass (a quirk with its note), ``unsupported``, ``fragile``, ``broken`` and
``ungraceful`` fail, ``unknown`` is skipped; a feature with only a ``value`` is information, not a check.
The tool makes its calendars with the prefixes in its ``checker.PROBE_CALENDAR_PREFIXES`` and removes
them at its end; the scenario checks that nothing was left.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version as dist_version
from pathlib import Path
from urllib.parse import unquote

from ..redact import redact
from . import COMPLETED, ERROR, FAIL, PASS, SKIPPED, Check, ToolResult

TOOL = "caldav-server-tester"
DIST = "caldav-server-tester"
TIMEOUT = 600
INSTALL = "make setup (caldav-server-tester is pinned in requirements.txt)"
SUPPORTED = {"full", "quirk"}
NOT_SUPPORTED = {"unsupported", "fragile", "broken", "ungraceful"}
PROBE_PREFIXES = ("caldav-server-checker", "testcalendar-", "csc-", "csc_")


def available() -> bool:
    return importlib.util.find_spec("caldav_server_tester") is not None


def version() -> str:
    try:
        own = dist_version(DIST)
    except PackageNotFoundError:
        return ""
    try:
        return f"{own} (python-caldav {dist_version('caldav')})"
    except PackageNotFoundError:
        return own


def is_probe(url: str, calendar=None) -> bool:
    """Whether a calendar is one of the tool's own (its id or display name has the tool's prefix);
    other scenarios may make calendars for the same pupil at the same time (WORKERS=N)."""
    names = [unquote(url.rstrip("/").rsplit("/", 1)[-1])]
    if calendar is not None:
        try:
            names.append(calendar.get_display_name() or "")
        except Exception:
            pass
    return any(n.startswith(PROBE_PREFIXES) for n in names)


def _outcome(info: dict) -> tuple[str, str] | None:
    if "support" not in info:
        return None  # a value the tool observed (e.g. has-calendar: True), not a check
    level = str(info.get("support"))
    note = str(info.get("behaviour") or info.get("description") or "")
    detail = f"{level}: {note}" if note else level
    if level == "full":
        return PASS, note
    if level in SUPPORTED:
        return PASS, detail
    if level == "unknown":
        return SKIPPED, detail
    return FAIL, detail  # unsupported, fragile, broken, ungraceful, or a level this parser does not know


def parse(output: str) -> list[Check]:
    """The features in the tool's ``--format hints`` output; ValueError when it holds no such report."""
    start, end = output.find("{"), output.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no feature report in the output")
    data = ast.literal_eval(output[start:end + 1])  # a literal only: nothing in it is executed
    if not isinstance(data, dict):
        raise ValueError("the feature report is not a mapping")
    checks = []
    for feature, info in sorted(data.items()):
        got = _outcome(info) if isinstance(info, dict) else None
        if got:
            checks.append(Check(group=str(feature).split(".", 1)[0], name=str(feature), outcome=got[0],
                                detail=got[1]))
    return checks


def run(url: str, username: str, password: str, folder: Path, *, timeout: float = TIMEOUT,
        run_dir: Path | None = None) -> ToolResult:
    """Run every check of the tool against `url` as `username`; keep its output in `folder`, masked."""
    folder = Path(folder)
    rel = (lambda p: str(p.relative_to(run_dir))) if run_dir else str
    result = ToolResult(tool=TOOL, status=COMPLETED, target=url, account=username)
    if not available():
        result.status, result.message = ERROR, f"caldav-server-tester is not installed: {INSTALL}"
        return result
    result.version = version()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALDAV_", "PYTHON_CALDAV_", "CALENDARING_"))}
    env.update(CALDAV_URL=url, CALDAV_USERNAME=username, CALDAV_PASSWORD=password,
               CALDAV_CONFIG_FILE=os.devnull, PYTHONIOENCODING="utf-8")
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "poc.conformance._caldav_tester_main", "--format", "hints"],
                              env=env, capture_output=True, timeout=timeout)
        out, err, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out, err, code = exc.stdout or b"", exc.stderr or b"", None
    except OSError as exc:
        result.status, result.message = ERROR, f"caldav-server-tester could not be started: {exc}"
        return result
    result.seconds = round(time.monotonic() - t0, 2)
    text = redact(out.decode("utf-8", "replace"))
    errors = redact(err.decode("utf-8", "replace"))
    raw = folder / "caldav-server-tester.txt"
    raw.write_text(f"$ CALDAV_URL={url} CALDAV_USERNAME={username} CALDAV_PASSWORD=... "
                   f"caldav-server-tester --format hints\n{text}\n--- exit code: "
                   f"{code if code is not None else f'killed after {timeout:.0f} s'} ---\n", encoding="utf-8")
    result.raw.append(rel(raw))
    if errors.strip():
        log = folder / "caldav-server-tester-stderr.txt"
        log.write_text(errors, encoding="utf-8")
        result.raw.append(rel(log))
    try:
        result.checks = parse(text)
    except (ValueError, SyntaxError) as exc:
        tail = " | ".join(line.strip() for line in errors.strip().splitlines()[-3:])
        result.status = ERROR
        result.message = (f"caldav-server-tester did not finish within {timeout:.0f} s" if code is None else
                          f"caldav-server-tester (exit code {code}) gave no feature report ({exc}): {tail[:300]}")
        return result
    result.groups = sorted({c.group for c in result.checks})
    if code is None or code != 0:
        last = next((line.strip() for line in reversed(errors.strip().splitlines()) if line.strip()), "")
        result.status = ERROR
        result.message = ("caldav-server-tester " + (f"was stopped after {timeout:.0f} s" if code is None else
                          f"stopped with exit code {code}") + f" after reporting {len(result.checks)} features: "
                          f"{last[:300]}")
    return result
