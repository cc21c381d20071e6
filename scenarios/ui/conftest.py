"""Fixtures for the UI scenarios: one Chromium per process (per pytest-xdist worker), a browser
context per role logged in through the suite's own login page (da-DK, Europe/Copenhagen), every
request, response and cookie captured, and a journey recorder that keeps screenshots and writes
the evidence the report's UI section reads.

A scenario knows capabilities and the names in the suite's ``ui:`` block, never a URL or a selector.
"""

from __future__ import annotations

import fcntl
import json

import pytest

from poc.ui import actions, axe, launch
from poc.ui.journey import Journey
from poc.ui.session import open_session
from poc.ui.spec import UiSpec
from poc.verdicts import unsupported

REPORTS = pytest.StashKey[dict]()
TOUR_ROLE = "pupil"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    item.stash.setdefault(REPORTS, {})[call.when] = (outcome.get_result(), call.excinfo)


@pytest.fixture(scope="session")
def ui(suite_deployment) -> UiSpec:
    """The suite's ``ui:`` block resolved against the running deployment; `unsupported` when the
    suite offers no web interface or declares no page details for it."""
    suite = suite_deployment.suite
    if "web-ui" not in suite.capabilities:
        unsupported(f"{suite.name} does not offer the capability 'web-ui'")
    spec = UiSpec(suite, suite_deployment)
    if not spec.declared:
        unsupported(f"{suite.name} offers a web interface but its suite.yaml has no ui: block with page details")
    return spec


@pytest.fixture(scope="session")
def browser(ui):
    """Debian's Chromium, one per process; a missing browser or axe-core is a clear error."""
    axe.source()  # AxeMissing now rather than on the first page
    pw, chromium = launch.start()
    yield chromium
    launch.stop(pw, chromium)


@pytest.fixture
def journey(request, poc, evidence) -> Journey:
    """The scenario's step recorder: screenshots in its evidence folder, JSON in evidence/ui/."""
    doc = (request.function.__doc__ or request.node.name).strip().splitlines()[0]
    ids = sorted({rid for m in request.node.iter_markers("requirement") for rid in m.args})
    j = Journey(doc, run_dir=poc.run_dir, folder=evidence, scenario=request.node.nodeid, requirements=ids)
    yield j
    for s in j.sessions:
        s.close()
    reports = request.node.stash.get(REPORTS, {})
    report, excinfo = reports.get("call", reports.get("setup", (None, None)))
    if report is None or report.passed:
        j.finish("passed")
    elif report.skipped:
        j.finish("unsupported", str(getattr(excinfo.value, "msg", "")) if excinfo else "")
    else:
        j.finish("failed", j.message or (str(excinfo.value).splitlines()[0] if excinfo else "failed"))


@pytest.fixture
def open_as(browser, ui, journey):
    """open_as(role, **options): a fresh, not yet logged-in context and page for ``role``."""
    def make(role: str = "pupil", **options):
        account = ui.deployment.accounts.get(role)
        if account is None:
            unsupported(f"{ui.suite.name} has no {role} test account")
        return journey.use(open_session(browser, ui, role, **options))
    return make


@pytest.fixture
def logged_in_as(open_as, ui, journey):
    """logged_in_as(role): a context for ``role`` logged in through the suite's own login page."""
    def make(role: str = "pupil"):
        if not ui.login:
            unsupported(f"{ui.suite.name}'s ui block declares no login page")
        session = open_as(role)
        account = ui.deployment.accounts[role]
        with journey.step(f"open the login page as {role}"):
            if ui.login_method == "form":
                session.page.goto(ui.url(ui.login["url"], role), wait_until="load")
                session.page.locator(ui.login["username"]).first.wait_for(state="visible")
        if ui.login_method == "form":
            journey.audit("login")
        with journey.step(f"log in as {role}") as step:
            result = actions.login(session, ui, username=account.username, password=account.own_password)
            assert result.ok, f"the login as {role} was refused: {result.message or 'no logged-in page shown'}"
            if not result.password_asked:
                step["note"] = "the sign-in page let the user in without asking for the password"
            start = ui.page("start")
            if start is not None and start.auth == ui.login_method.replace("form", "login"):
                actions.open_page(session, ui, start, role)
        journey.audit("start")
        return session
    return make


@pytest.fixture
def as_pupil(logged_in_as):
    return logged_in_as("pupil")


@pytest.fixture
def as_teacher(logged_in_as):
    return logged_in_as("teacher")


@pytest.fixture
def as_admin(logged_in_as):
    return logged_in_as("admin")


# -- the tour: every declared page visited once per run, the evidence the verdicts are judged on --

def run_tour(browser, spec, run_dir, role: str = TOUR_ROLE) -> dict:
    """Visit every page in ``ui.pages`` as ``role``: once in a plain context (hosts, cookies,
    headers, timings, language, screenshots) and once in an audit context with CSP bypassed
    (axe-core). Writes evidence/ui/tour.json and returns its data."""
    account = spec.deployment.accounts[role]
    j = Journey("Tour of the suite's pages", run_dir=run_dir, folder=run_dir / "evidence" / "ui-tour",
                scenario="tour", role=role, kind="tour")
    try:
        for audit_pass in (False, True):
            session = j.use(open_session(browser, spec, role, bypass_csp=audit_pass))
            prefix = "audit: " if audit_pass else ""
            logged = False
            for i, page in enumerate(spec.tour_pages()):
                if page.auth == "login" and not logged:
                    with j.step(f"{prefix}log in as {role}", screenshot=not audit_pass) as step:
                        result = actions.login(session, spec, username=account.username, password=account.own_password)
                        assert result.ok, f"the login as {role} was refused: {result.message}"
                        if not result.password_asked:
                            step["note"] = "the sign-in page let the user in without asking for the password"
                    logged = True
                with j.step(f"{prefix}open the {page.name} page", screenshot=not audit_pass):
                    actions.open_page(session, spec, page, role)
                record = j.audit(page.name, run_axe=audit_pass)
                if audit_pass:  # the axe results belong to the plain pass's record of the same page
                    j.pages.pop()
                    plain = next(p for p in j.pages if p["name"] == page.name)
                    plain["axe"], plain["axe_context"] = record.get("axe"), "bypass_csp"
                    _best_timing(plain, record.get("timing"))
                    if record.get("axe_error"):
                        plain["axe_error"] = record["axe_error"]
            session.close()
        j.finish("passed")
    except BaseException as exc:
        j.finish("failed", j.message or f"{type(exc).__name__}: {exc}".splitlines()[0])
        raise
    data = j.data()
    # the audit pass's own requests are not the page's behaviour (CSP was bypassed): keep the plain pass's
    plain = j.sessions[0].capture.snapshot()
    data.update(hosts=plain["hosts"], cookies=plain["cookies"], documents=plain["documents"],
                requests=plain["requests"])
    j.path().write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return data


def _best_timing(plain: dict, other: dict | None) -> None:
    """Each page is loaded twice on the tour (both times cold, in a new context); the faster load
    is the page's timing, so a load spike on a busy machine (parallel workers) counts less."""
    first = plain.get("timing")
    plain["timing_visits"] = [t for t in (first, other) if t]
    loads = [t for t in plain["timing_visits"] if t.get("load_ms") is not None]
    if loads:
        plain["timing"] = min(loads, key=lambda t: t["load_ms"])


@pytest.fixture(scope="session")
def tour(poc, ui, request) -> dict:
    """The tour's evidence, made once per run: the first process to ask makes it, the others (xdist
    workers) wait on a lock and read evidence/ui/tour.json."""
    folder = poc.run_dir / "evidence" / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tour.json"
    with open(folder / ".tour.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists():
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("outcome") != "passed":
                    raise RuntimeError(f"the tour of {ui.suite.name}'s pages failed: {data.get('message')}")
                return data
            return run_tour(request.getfixturevalue("browser"), ui, poc.run_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def judged(poc, tour, request):
    """judged(requirement id): the requirement's evidence_rule from the catalogue applied to the
    tour's evidence; the judgement is also written to evidence/ui/judgements/<id>.json."""
    from poc.ui import rules

    def judge(rid: str):
        rule = poc.catalogue.requirements[rid].evidence_rule
        result = rules.judge(rule, tour)
        folder = poc.run_dir / "evidence" / "ui" / "judgements"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{rid}.json").write_text(json.dumps(
            {"requirement": rid, "rule": rule, "ok": result.ok, "message": result.message,
             "findings": result.findings[:50], "scenario": request.node.nodeid}, indent=1, ensure_ascii=False,
            default=str), encoding="utf-8")
        return result
    return judge
