"""litmus, the WebDAV (RFC 4918) server test suite (Debian package ``litmus``; the suite Nextcloud's own
CI runs), run one test group at a time against a fresh folder of a test account, and its output parsed.

litmus takes the account on its command line (``litmus URL USER PASS``; it has no other way), so the
password is in the process's argv while it runs, never in a file: its output and debug log are masked
with poc/redact.py before they are kept, and the command line is kept with the password masked.

Output lines (neon's test framework, ``tests.c``) look like::

    -> running `basic':
     0. init.................. pass
     7. delete_fragment....... WARNING: DELETE removed collection resource with Request-URI including fragment; unsafe
        ...................... pass (with 1 warning)
     9. propfind_d0........... FAIL (PROPFIND on `/litmus/': 401 Unauthorized)
     4. lock_excl............. SKIPPED (locking tests skipped, server does not claim Class 2 compliance)
    <- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..redact import MASK, redact
from . import COMPLETED, ERROR, FAIL, PASS, SKIPPED, Check, ToolResult

TOOL = "litmus"
COMMAND = "litmus"
GROUPS = ("basic", "copymove", "props", "locks", "http")
#: the tests of each group in litmus 0.13 (Debian 12), for checking the names crosscheck.yaml uses
TESTS = {
    "basic": "init begin options put_get put_get_utf8_segment put_no_parent mkcol_over_plain delete delete_null "
             "delete_fragment mkcol mkcol_again delete_coll mkcol_no_parent mkcol_with_body finish",
    "copymove": "init begin copy_init copy_simple copy_overwrite copy_nodestcoll copy_cleanup copy_coll copy_shallow "
                "move move_coll move_cleanup finish",
    "props": "init begin propfind_invalid propfind_invalid2 propfind_d0 propinit propset propget propextended "
             "propmove propdeletes propreplace propnullns prophighunicode propremoveset propsetremove propvalnspace "
             "propwformed propmanyns propcleanup finish",
    "locks": "init begin options precond init_locks put lock_excl discover refresh notowner_modify notowner_lock "
             "owner_modify copy cond_put fail_cond_put cond_put_with_not cond_put_corrupt_token complex_cond_put "
             "fail_complex_cond_put unlock fail_cond_put_unlocked lock_shared double_sharedlock prep_collection "
             "lock_collection indirect_refresh unmapped_lock finish",
    "http": "init begin expect100 finish",
}
TESTS = {g: tuple(names.split()) for g, names in TESTS.items()}
TIMEOUT = 180          # seconds per group; litmus's own tests each finish in well under a second
DEBUG_LOG_LIMIT = 4 << 20  # a debug log kept as evidence is cut at 4 MB (the head, where failures start)
INSTALL = "apt-get install -y litmus (scripts/system-packages.sh installs it when run as root)"

_TEST = re.compile(r"^\s*(\d+)\.\s(\S+?)\.*\s(.*)$")
_CONTINUED = re.compile(r"^\s+\.{5,}\s(.*)$")
_RUNNING = re.compile(r"^-> running `([^']+)'")
_SUMMARY = re.compile(r"^<- (?:summary for `([^']+)'|all tests skipped for `([^']+)')")


def available() -> str | None:
    return shutil.which(COMMAND)


def version() -> str:
    """litmus's own version and, where Debian installed it, the package's."""
    try:
        own = subprocess.run([COMMAND, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "litmus"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        deb = ""
    return f"{own} (Debian {deb})" if deb else own


def as_terminal(text: str) -> str:
    """The output as a terminal shows it: litmus prints each test's line, then returns to its start
    (a carriage return) and prints it again with the result."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n"))


def _result(text: str) -> tuple[str, str]:
    """(outcome, reason) of the text litmus prints after a test's dots."""
    text = text.strip()
    m = re.match(r"(?:fatal error - )?FAIL(?: \((.*)\))?$", text, re.S)
    if m:
        return FAIL, ("fatal: " if text.startswith("fatal") else "") + (m.group(1) or "").strip()
    m = re.match(r"SKIPPED(?: \((.*)\))?$", text, re.S)
    if m:
        return SKIPPED, (m.group(1) or "").strip()
    if text.startswith("pass") or text.startswith("XFAIL"):
        return PASS, text[4:].strip(" ()") if text.startswith("pass") else "expected failure"
    return FAIL, text  # OOPS, or something this parser does not know: never a silent pass


def _logical_lines(output: str):
    """The output's lines, with a result whose reason runs over several lines (a server's message
    with a newline in it: ``FAIL (PROPPATCH on ...: 403 Forbidden`` then ``)``) joined into one."""
    held = None
    for line in output.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if held is not None:
            if _TEST.match(line) or _RUNNING.match(line) or _SUMMARY.match(line):
                yield held  # the reason never closed: give what there is
                held = None
            else:
                held += " " + line.strip()
                if held.count("(") <= held.count(")"):
                    yield held
                    held = None
                continue
        m = _TEST.match(line) or _CONTINUED.match(line)
        rest = m.groups()[-1] if m else ""
        if re.match(r"\s*(?:fatal error - )?(?:FAIL|SKIPPED) \(", rest) and rest.count("(") > rest.count(")"):
            held = line.rstrip()
            continue
        yield line
    if held is not None:
        yield held


def parse(output: str) -> tuple[list[Check], dict]:
    """The checks in litmus's output, and {group: summary line} for every group that finished."""
    checks: list[Check] = []
    summaries: dict[str, str] = {}
    group, current, warnings = "", None, []
    for line in _logical_lines(output):
        if not line.strip():
            continue
        m = _RUNNING.match(line)
        if m:
            group, current, warnings = m.group(1), None, []
            continue
        m = _SUMMARY.match(line)
        if m:
            summaries[m.group(1) or m.group(2)] = line.strip()
            current = None
            continue
        m = _TEST.match(line)
        if m:
            current, rest = (int(m.group(1)), m.group(2)), m.group(3)
            warnings = []
        else:
            m = _CONTINUED.match(line)
            if not m or current is None:
                continue
            rest = m.group(1)
        rest = rest.strip()
        if not rest:
            continue  # the line printed before the test runs
        if rest.startswith("WARNING:"):
            warnings.append(rest[len("WARNING:"):].strip())
            continue
        outcome, reason = _result(rest)
        detail = "; ".join([reason] * bool(reason and outcome != PASS) + [f"warning: {w}" for w in warnings])
        checks.append(Check(group=group, name=current[1], outcome=outcome, detail=detail, n=current[0]))
        current, warnings = None, []
    return checks, summaries


def run(group: str, url: str, username: str, password: str, folder: Path, *, timeout: float = TIMEOUT,
        run_dir: Path | None = None) -> ToolResult:
    """Run one litmus group against `url` (a fresh, empty collection the caller made and removes)
    and keep its output (and debug log) in `folder`, masked."""
    folder = Path(folder)
    rel = (lambda p: str(p.relative_to(run_dir))) if run_dir else str
    result = ToolResult(tool=TOOL, status=COMPLETED, target=url, account=username, groups=[group])
    if group not in GROUPS:
        raise ValueError(f"unknown litmus group {group!r}; litmus has {', '.join(GROUPS)}")
    if not available():
        result.status, result.message = ERROR, f"litmus is not installed: {INSTALL}"
        return result
    result.version = version()
    command = [COMMAND, url, username, password]
    env = {**os.environ, "TESTS": group, "LC_ALL": "C.UTF-8", "TEST_COLOUR": "0"}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="poc-litmus-") as work:  # litmus writes debug.log, child.log here
        try:
            proc = subprocess.run(command, cwd=work, env=env, capture_output=True, timeout=timeout)
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out, err, code = exc.stdout or b"", exc.stderr or b"", None
        except OSError as exc:
            result.status, result.message = ERROR, f"litmus could not be started: {exc}"
            return result
        result.seconds = round(time.monotonic() - t0, 2)
        text = redact(out.decode("utf-8", "replace"))
        errors = redact(err.decode("utf-8", "replace"))
        raw = folder / f"litmus-{group}.txt"
        shown = " ".join([COMMAND, url, username, MASK])
        raw.write_text(f"$ TESTS={group} {shown}\n{as_terminal(text)}" + (f"\n--- stderr ---\n{errors}" if errors.strip() else "")
                       + f"\n--- exit code: {code if code is not None else f'killed after {timeout:.0f} s'} ---\n",
                       encoding="utf-8")
        result.raw.append(rel(raw))
        debug = Path(work) / "debug.log"
        if debug.exists() and debug.stat().st_size:
            data = debug.read_bytes()
            cut = len(data) > DEBUG_LOG_LIMIT
            kept = folder / f"litmus-{group}-debug.log"
            kept.write_text(redact(data[:DEBUG_LOG_LIMIT].decode("utf-8", "replace"))
                            + (f"\n[cut at {DEBUG_LOG_LIMIT >> 20} MB of {len(data) >> 20} MB]\n" if cut else ""),
                            encoding="utf-8")
            result.raw.append(rel(kept))
    checks, summaries = parse(text)
    result.checks = [c for c in checks if c.group == group]
    if code is None:
        result.status = ERROR
        result.message = f"litmus {group} did not finish within {timeout:.0f} s ({len(result.checks)} tests reported)"
    elif group not in summaries:
        tail = " | ".join(line.strip() for line in (text + errors).strip().splitlines()[-3:])
        result.status = ERROR
        result.message = f"litmus {group} ended (exit code {code}) without its summary line: {tail[:300]}"
    return result
