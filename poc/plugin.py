"""The pytest plugin: `pytest scenarios/ --suite NAME` starts the suite, runs the scenarios against
it, records one line per scenario x requirement in results.jsonl, and stops the suite again.

It is loaded by the ``pytest11`` entry point and stays inert without ``--suite``. With
pytest-xdist the controller owns the suite and the recording; workers read the suite's state
file and get the passwords through the environment.
"""

from __future__ import annotations

import contextlib

import json
import re
import signal
import time
from pathlib import Path

import pytest

from . import catalogue as catalogue_mod
from . import manifest as manifest_mod
from . import junit, runs, suites
from .errors import PocError, SuiteDied
from .lifecycle import AttachedDeployment, Deployment, deployment, sigterm_as_interrupt
from .redact import export_to_env, redact, redact_logs
from .verdicts import ERROR, FAIL, PASS, UNSUPPORTED, Unsupported, classify, unsupported

KEY = pytest.StashKey["Recorder"]()


def pytest_addoption(parser):
    group = parser.getgroup("poc", "OS2skole PoC harness")
    group.addoption("--suite", help="evaluate this suite (a folder under suites/)")
    group.addoption("--run-dir", help="the run folder (default: reports/runs/<new run id>)")
    group.addoption("--url", help="evaluate a running deployment at this URL (external mode)")
    group.addoption("--catalogue", default=None, help="the requirement catalogue (default: requirements.yaml)")
    group.addoption("--no-provision", action="store_true", help="use existing accounts (external mode)")
    group.addoption("--keep", action="store_true", help="keep the suite's data and test data after the run")
    group.addoption("--poc-progress", action="store_true", help="one line per scenario instead of dots")


def pytest_configure(config):
    config.addinivalue_line("markers", "requirement(*ids): the catalogue requirement ids this scenario verifies")
    config.addinivalue_line("markers", "capability(name): the capability this scenario needs from the suite")
    if not config.getoption("suite"):
        return
    if config.getoption("poc_progress"):
        config.option.verbose = min(config.option.verbose, -1)  # our lines replace pytest's dots
    recorder = Recorder(config)
    config.stash[KEY] = recorder
    config.pluginmanager.register(recorder, "poc-recorder")
    recorder.open()


class Recorder:
    def __init__(self, config):
        self.config = config
        self.controller = not hasattr(config, "workerinput")
        root = suites.repo_root()
        self.catalogue = catalogue_mod.load(config.getoption("catalogue") or root / "requirements.yaml")
        self.suite = suites.load(config.getoption("suite"), capabilities=set(self.catalogue.capabilities))
        run_dir = config.getoption("run_dir")
        if self.controller and not run_dir:
            run_dir = runs.runs_dir() / runs.new_run_id(self.suite.name)
        self.run_dir = Path(run_dir)
        self.deployment: Deployment | None = None
        self.start_error: str | None = None
        self.died: str | None = None
        self.durations: dict[str, float] = {}
        self.done = 0
        self.total = 0
        self.counts = {PASS: 0, FAIL: 0, ERROR: 0, UNSUPPORTED: 0}
        self.interrupted = False

    # -- suite lifecycle ----------------------------------------------------------------------
    def open(self):
        if not self.controller:
            self.deployment = AttachedDeployment(self.suite, self.run_dir)
            state = json.loads((self.run_dir / "suite-state.json").read_text(encoding="utf-8"))
            self.start_error = state.get("start_error")
            return
        (self.run_dir / "evidence").mkdir(parents=True, exist_ok=True)
        self.results = open(self.run_dir / runs.RESULTS, "a", encoding="utf-8")
        opts = {"url": self.config.getoption("url"), "provision": not self.config.getoption("no_provision"),
                "keep": self.config.getoption("keep"), "args": [a for a in self.config.invocation_params.args]}
        self.manifest = manifest_mod.build(self.run_dir.name, self.suite, self.catalogue, started=runs.now(),
                                           options=opts, scope=_scope(self.config))
        runs.write_json(self.run_dir / runs.MANIFEST, self.manifest)
        self._previous_sigterm = signal.signal(signal.SIGTERM, sigterm_as_interrupt)
        self.deployment = deployment(self.suite, self.run_dir, url=opts["url"], provision=opts["provision"],
                                     keep=opts["keep"], progress=self.say)
        t0 = time.monotonic()
        try:
            self.deployment.up()
            self.say(f"{self.suite.name} is up in {time.monotonic() - t0:.1f} s: {self.deployment.version}")
        except PocError as exc:
            self.start_error = redact(str(exc))
            self.say(f"ERROR: suite {self.suite.name} did not start:\n{self.start_error}")
            self._safe_down()
        except BaseException:
            self._safe_down()
            raise
        self.manifest["suite"]["version"] = self.deployment.version
        self.manifest["suite"]["endpoints"] = self.deployment.endpoints
        self.manifest["suite"]["accounts"] = {r: a.username for r, a in self.deployment.accounts.items()}
        runs.write_json(self.run_dir / runs.MANIFEST, self.manifest)
        state = self.deployment.state()
        state["start_error"] = self.start_error
        self.deployment.write_state()
        runs.write_json(self.run_dir / "suite-state.json", state)
        export_to_env()

    def _safe_down(self):
        if self.deployment is not None:
            try:
                self.deployment.down()
            except Exception as exc:
                self.say(f"warning: stopping {self.suite.name} failed: {exc}")

    def say(self, text: str):
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            # also while a scenario runs (a long load stage): around pytest's output capture, and flushed at
            # once when the output goes to a file or a pipe
            capman = self.config.pluginmanager.get_plugin("capturemanager")
            with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
                tr.write_line(text)
                tr._tw.flush()
        else:
            print(text, flush=True)

    # -- collection: every marker must name a known requirement --------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session, config, items):
        problems = []
        for item in items:
            for mark in item.iter_markers("requirement"):
                for rid in mark.args:
                    if rid not in self.catalogue.requirements:
                        path, line, _ = item.location
                        problems.append(f"{path}:{(line or 0) + 1}: {item.name} names unknown requirement {rid!r}")
        if problems:
            raise pytest.UsageError("scenario markers name requirements that are not in the catalogue:\n"
                                    + "\n".join(problems))

    def pytest_collection_finish(self, session):
        self.total = len(session.items)  # after -k / deselection

    # -- running --------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.start_error:
            broken = f"the suite did not start: {self.start_error.splitlines()[0]}"
        else:
            dead = self.deployment.dead() if self.deployment else []
            if not dead:
                return
            broken = "the suite died during the run: " + "; ".join(dead)
        lacking = self.lacking(item)
        if lacking:  # what the suite does not offer stays unsupported, whatever happened to the run
            if not self.start_error:  # the run is still cut short, even if no later scenario says so
                item.user_properties.append(("poc_suite_died", broken))
            unsupported(f"{lacking} ({broken})")
        raise SuiteDied(broken)

    def lacking(self, item) -> str | None:
        """Why `item` could not run on this suite even if it were up, known without reaching it: it
        asks for a capability the suite does not declare (a `capability` marker, or one of the
        capability fixtures), or for the browser on a suite with no `ui:` block."""
        names = set(getattr(item, "fixturenames", ()))
        needs = {m.args[0] for m in item.iter_markers("capability") if m.args}
        needs |= {cap for fixture, cap in CAPABILITY_FIXTURES.items() if fixture in names}
        offered = set(self.suite.capabilities) | self.catalogue.implicit_capabilities
        missing = sorted(needs - offered)
        if missing:
            return f"{self.suite.name} does not offer the capability {missing[0]!r}"
        if "ui" in names and not self.suite.config.get("ui"):
            return f"{self.suite.name} offers a web interface but its suite.yaml has no ui: block with page details"
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        if not any(k == "poc_requirements" for k, _ in item.user_properties):
            ids = sorted({rid for m in item.iter_markers("requirement") for rid in m.args})
            item.user_properties.append(("poc_requirements", ids))  # copied into every phase's report
            item.user_properties.append(("poc_file", item.location[0]))
        outcome = yield
        report = outcome.get_result()
        verdict, message = None, ""
        if report.passed and call.when == "call":
            # a pass may say what it rests on (e.g. "the pupil's own download over WebDAV"): poc.privacy.note()
            verdict, message = PASS, "; ".join(v for k, v in item.user_properties if k == "poc_note")
        elif report.skipped:
            exc = call.excinfo.value if call.excinfo else None
            if isinstance(exc, Unsupported):
                verdict, message = UNSUPPORTED, str(exc.msg)
            else:
                verdict, message = "skipped", str(getattr(exc, "msg", "") or report.longrepr)
        elif report.failed:
            exc = call.excinfo.value if call.excinfo else None
            verdict = classify(exc) if exc is not None else ERROR
            if call.when != "call" and verdict == FAIL:
                verdict = ERROR  # a fixture that broke is the harness's or suite's fault, not a test outcome
            message = _message(exc, report)
            if isinstance(exc, SuiteDied):
                report.user_properties.append(("poc_suite_died", str(exc)))
        if verdict:
            report.user_properties.append(("poc_verdict", verdict))
            report.user_properties.append(("poc_message", redact(message)))
            evidence = _evidence_of(item, self.run_dir)
            report.user_properties.append(("poc_evidence", evidence))

    def pytest_runtest_logreport(self, report):
        if not self.controller:
            return
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        props = dict(report.user_properties)
        verdict = props.get("poc_verdict")
        if verdict is None:
            return
        if props.get("poc_suite_died") and not self.died and not self.start_error:
            self.died = props["poc_suite_died"]
        if report.when == "teardown":
            return  # a teardown fault after a verdict is left to pytest's own report
        self.done += 1
        ids = props.get("poc_requirements") or []
        kind = _kind(report.nodeid)
        record_base = {"run_id": self.run_dir.name, "suite": self.suite.name, "scenario": report.nodeid,
                       "file": props.get("poc_file", report.location[0]), "kind": kind, "verdict": verdict,
                       "duration": round(self.durations.get(report.nodeid, report.duration), 4),
                       "message": props.get("poc_message", ""), "evidence": props.get("poc_evidence", [])}
        for rid in ids or [None]:
            self.results.write(json.dumps({**record_base, "requirement": rid}, ensure_ascii=False) + "\n")
        self.results.flush()
        if verdict in self.counts:
            self.counts[verdict] += 1
        if self.config.getoption("poc_progress"):
            total = self.total or "?"
            line = f"[{self.done:>3}/{total}] {verdict:<11} {' '.join(ids) or '-':<16} {report.nodeid} " \
                   f"({record_base['duration']:.2f} s)"
            if verdict not in (PASS,) and record_base["message"]:
                line += "\n              " + record_base["message"].splitlines()[0][:160]
            self.say(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report, config):
        if not config.getoption("poc_progress"):
            return None
        if report.passed and report.when != "call":
            return "", "", ""
        if report.failed and report.when != "call":
            return "error", "", "ERROR"
        return report.outcome, "", report.outcome.upper()

    def pytest_keyboard_interrupt(self, excinfo):
        self.interrupted = True

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if not self.controller:
            return
        self.finish(exitstatus)

    def pytest_unconfigure(self, config):
        if self.controller and self.deployment is not None:
            self.finish(None)

    def finish(self, exitstatus):
        if self.deployment is None:
            return
        # a second Ctrl-C must not leave the suite half-stopped or the manifest unwritten
        previous_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._finish(exitstatus)
        finally:
            signal.signal(signal.SIGINT, previous_sigint)

    def _finish(self, exitstatus):
        self.say(f"stopping {self.suite.name} ...")
        self._safe_down()
        left = list(getattr(self.deployment, "left_behind", []) or [])
        self.deployment = None
        self.results.close()
        redact_logs(self.run_dir / "evidence" / "logs")
        if self.start_error:
            status, message = "start-failed", self.start_error
        elif self.died:
            status, message = "cut-short", self.died
        elif self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED:
            status, message = "interrupted", "the run was interrupted"
        else:
            status, message = "completed", ""
        self.manifest.update(status=status, message=message, finished=runs.now(), counts=self.counts)
        if left:  # test data the run made on the deployment and could not remove, with how to remove it
            self.manifest["left_behind"] = [{k: redact(str(v)) for k, v in item.items()} for item in left]
        runs.write_json(self.run_dir / runs.MANIFEST, self.manifest)
        try:  # the results as JUnit XML for other tools' CI; results.jsonl stays the record
            junit.write(self.run_dir)
        except Exception as exc:
            self.say(f"warning: {junit.FILE} was not written: {exc}")
        signal.signal(signal.SIGTERM, self._previous_sigterm)
        self.say(f"run {self.run_dir.name}: {status}; results in {self.run_dir}")


# the fixtures through which a scenario asks for a capability (scenarios/conftest.py, scenarios/ui/conftest.py);
# a scenario that reaches one through client_for(...) alone can say so with @pytest.mark.capability(name)
CAPABILITY_FIXTURES = {"files": "files", "calendar": "calendar", "calendar_client": "calendar",
                       "contacts": "contacts", "addressbook": "contacts", "ui": "web-ui"}


def _scope(config) -> dict:
    """The part of the scenarios this pytest run covers (manifest "scope"): its paths, -k, -m, --deselect."""
    base = Path(config.invocation_params.dir)
    paths = [a if Path(a.split("::")[0]).is_absolute() else str(base / a) for a in map(str, config.args)]
    return manifest_mod.scope(paths, keyword=config.getoption("keyword", None) or None,
                              markers=config.getoption("markexpr", None) or None,
                              deselected=config.getoption("deselect", None) or [])


def _kind(nodeid: str) -> str:
    m = re.search(r"scenarios/(\w+)/", nodeid)
    return m.group(1) if m else "api"


def _message(exc, report) -> str:
    if exc is None:
        return str(report.longrepr)[-500:]
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, AssertionError) else (str(exc) or "assertion failed")
    return text.strip()[:1000]


def _evidence_of(item, run_dir: Path) -> list[str]:
    folder = getattr(item, "poc_evidence_dir", None)
    if not folder or not Path(folder).exists():
        return []
    return sorted(str(p.relative_to(run_dir)) for p in Path(folder).rglob("*") if p.is_file())


# -- fixtures every scenario may use ------------------------------------------------------------

@pytest.fixture(scope="session")
def poc(request) -> Recorder:
    recorder = request.config.stash.get(KEY, None)
    if recorder is None:
        pytest.skip("no suite given: run with --suite NAME (or `make evaluate`)")
    return recorder


@pytest.fixture(scope="session")
def suite_deployment(poc) -> Deployment:
    return poc.deployment


@pytest.fixture
def evidence(request, poc) -> Path:
    """A folder for this scenario's evidence; what is saved in it is linked from the report."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])[:120]
    folder = poc.run_dir / "evidence" / slug
    folder.mkdir(parents=True, exist_ok=True)
    request.node.poc_evidence_dir = folder
    return folder
