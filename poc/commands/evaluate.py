"""Evaluate one suite: start it, run the scenarios against it, stop it, score and report.

Writes reports/runs/<run-id>/ (manifest.json, results.jsonl, evidence/), reports/<suite>.html
and reports/comparison.html (+ .csv, .json), and ends with the path of the report and the
one-line verdict. Exit codes: 0 the run completed (whatever the verdicts), 2 bad input,
3 the suite did not start, 4 the suite died during the run, 5 the run completed but left test
data on the deployment (each item is named with how to remove it), 130 interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .. import isolation, junit, runs, suites, validation
from ..errors import PocError, SuiteStartError, UnknownSuite
from ..lifecycle import compose
from ..i18n import language, strings
from ..report import scope_text, verdict_line
from ._common import add_assessments, add_catalogue, add_lang, render_all

KINDS = ("api", "ui", "conformance", "load")  # conformance: litmus and caldav-server-tester (scenarios/conformance)
EXIT = {"completed": 0, "start-failed": 3, "cut-short": 4, "interrupted": 130}
EXIT_LEFT_BEHIND = 5  # the run completed, but test data it made on the deployment could not be removed


def add_arguments(p):
    p.add_argument("--suite", default="baseline", help="the suite to evaluate (default: baseline)")
    p.add_argument("--only", choices=KINDS, help="run only the API, the UI, the conformance or the load scenarios")
    p.add_argument("--no-load", action="store_true", help="leave out the short load stage")
    p.add_argument("--load", choices=("short", "full"), default="short",
                   help="short: the load stage squeezed into seconds at size XS (default); full: every service "
                        "level's own profile at its size and real length (the morning at size S: 30 minutes), "
                        "whose PRF verdicts the comparison keeps until a newer real-length run (make evaluate LOAD=full)")
    p.add_argument("--load-only", default=None, metavar="IDS",
                   help="with --load full: only the stages these requirements need, e.g. PRF-01,PRF-02")
    p.add_argument("--url", help="evaluate a running deployment at this URL (external mode)")
    p.add_argument("--no-provision", action="store_true", help="use existing accounts (external mode)")
    p.add_argument("--keep", action="store_true", help="keep the suite's data and the test data")
    p.add_argument("--workers", type=int, default=0, help="run scenarios in N parallel processes (pytest-xdist)")
    p.add_argument("-k", dest="keyword", help="only scenarios matching this pytest -k expression")
    add_catalogue(p)
    add_lang(p)
    add_assessments(p)
    isolation.add_argument(p)  # --isolate: a local suite in a network namespace of its own (PRI-07)


def pytest_command(args, run_dir: Path, root: Path) -> list[str]:
    kinds = [args.only] if args.only else [k for k in KINDS if not (k == "load" and args.no_load)]
    paths = [str(root / "scenarios" / k) for k in kinds if any((root / "scenarios" / k).glob("test_*.py"))]
    cmd = [sys.executable, "-m", "pytest", *paths, "--suite", args.suite, "--run-dir", str(run_dir),
           "--poc-progress", "-p", "no:cacheprovider", "--no-header", "-rN", "--tb=no", "-o", "console_output_style=classic", "--rootdir", str(root),
           "-c", str(root / "scenarios" / "pytest.ini")]
    if args.catalogue:
        cmd += ["--catalogue", str(args.catalogue)]
    if args.url:
        cmd += ["--url", args.url]
    if args.no_provision:
        cmd.append("--no-provision")
    if args.keep:
        cmd.append("--keep")
    if args.workers:
        cmd += ["-n", str(args.workers)]
    if args.keyword:
        cmd += ["-k", args.keyword]
    return cmd


def run(args) -> int:
    root = suites.repo_root()
    lang = language(args.lang)
    summary = validation.validate(root, catalogue_path=args.catalogue)  # bad input stops here, nothing written
    suite = next((s for s in summary.suites if s.name == args.suite), None)
    if suite is None:
        raise UnknownSuite(args.suite, [s.name for s in summary.suites])
    suites.refuse_reference(suite)  # a reference column (today's cloud suite) has no server: exit 2, says why
    if suite.mode == "compose" and not args.url:  # say it once, before a run folder full of errors
        problem = compose.engine_problem()
        if problem:
            raise SuiteStartError(f"suite {suite.name!r} runs under Docker Compose, but {problem}.\n"
                                  + compose.external_hint(suite.name))
    run_dir = runs.runs_dir() / runs.new_run_id(args.suite)
    run_dir.mkdir(parents=True)
    os.environ["POC_LOAD_STAGE"] = args.load  # the load stage's length and size (poc/load/stages.py)
    if args.load_only:
        os.environ["POC_LOAD_REQUIREMENTS"] = args.load_only
    print(f"evaluating {args.suite}; run {run_dir.name}", flush=True)
    t0 = time.monotonic()
    iso = isolation.start_for(args, suite, run_dir, progress=print)  # PRI-07: the whole run inside, or why not
    proc = subprocess.Popen(iso.command(pytest_command(args, run_dir, root)), cwd=root, env=iso.environ())
    iso.started(proc.pid)
    interrupted = False
    while True:
        try:
            code = proc.wait()
            break
        except KeyboardInterrupt:
            # Ctrl-C in a terminal reaches the scenarios' process too, which then stops the suite and
            # records; only if it is still running after a while (a SIGINT sent to us alone) pass it on
            interrupted = True
            try:
                code = proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
    iso.stop()  # the capture ends and the namespace is removed
    if not (run_dir / runs.MANIFEST).exists():
        raise PocError(f"the scenarios did not start (pytest exit {code}); see the messages above")
    run = runs.load(run_dir)
    status = run.manifest.get("status")
    if status == "running":  # the pytest process died before it could finish the manifest
        run.manifest.update(status="interrupted" if interrupted else "cut-short",
                            message=f"the scenario process ended with exit code {code}", finished=runs.now())
        runs.write_json(run_dir / runs.MANIFEST, run.manifest)
        status = run.manifest["status"]
        junit.write(run_dir)  # the plugin writes it at its end; this process did not reach it
    run.manifest["assessments"] = args.assessments  # the evaluator's choice, kept so later reports use it too
    runs.write_json(run_dir / runs.MANIFEST, run.manifest)
    out = render_all(summary.catalogue, lang, focus=run, progress=print, assessments=args.assessments)
    view = out["focus"]
    print(f"\nreport:     {out['paths'][args.suite]}")
    print(f"comparison: {out['paths']['comparison']}")
    t = strings(lang)
    said = t.get(f"status_{status}", status)
    line = t["no_verdicts"] if status == "start-failed" else verdict_line(view, lang)
    if not view.complete:  # an attempt: say what it covered and what the comparison keeps instead
        kept = out["picked"][args.suite].complete if args.suite in out["picked"] else None
        said += ", " + scope_text(view.scope, lang) + ": " + (
            t["attempt_kept"].format(run=kept.id, date=kept.manifest.get("started", "")) if kept else t["attempt_none"])
    print(f"{args.suite}: {line} ({said}, {time.monotonic() - t0:.0f} s)")
    if status != "completed":
        print(f"error: run {status}: {run.manifest.get('message', '')}", file=sys.stderr)
    left = run.manifest.get("left_behind") or []
    for item in left:
        why = f" ({item['why']})" if item.get("why") else ""
        print(f"error: clean-up left {item['what']} on the deployment{why}; to remove it: {item['how']}",
              file=sys.stderr)
    if interrupted:
        return 130
    return EXIT.get(status, 1) if status != "completed" or not left else EXIT_LEFT_BEHIND
