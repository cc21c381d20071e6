"""The short load stage of `make evaluate`: one Locust run per profile the catalogue's service
levels name, against the suite the plugin started, its results in <run>/load/<profile>/.

POC_LOAD_STAGE_SIZE (default XS, one class) and POC_LOAD_STAGE_SECONDS (default 6 per profile)
set the stage; POC_LOAD=0 leaves it out; POC_LOAD_STAGE=full (make evaluate LOAD=full) runs every
service level's own profile at its size and real length instead (poc/load/stages.py). The default is short and small on purpose: squeezing a
school's 08:00 storm into a few seconds would test something no school does. At XS a level that
holds is recorded as not verified (never as passed); one that breaks already at XS fails. For
verdicts at the catalogue's size: POC_LOAD_STAGE_SIZE=S POC_LOAD_STAGE_SECONDS=300 make evaluate.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poc import catalogue as catalogue_mod
from poc import suites
from poc.errors import PocError

STAGE_SIZE = "POC_LOAD_STAGE_SIZE"
STAGE_SECONDS = "POC_LOAD_STAGE_SECONDS"


def _levels(config) -> list:
    path = config.getoption("catalogue", None) or suites.repo_root() / "requirements.yaml"
    try:
        cat = catalogue_mod.load(path)
    except Exception:
        return []
    return [r for r in cat.requirements.values() if r.service_level.get("profile")]


def pytest_generate_tests(metafunc):
    if "service_level" in metafunc.fixturenames:
        reqs = _levels(metafunc.config)
        metafunc.parametrize("service_level", [pytest.param(r, id=r.id, marks=pytest.mark.requirement(r.id))
                                               for r in reqs])


@pytest.fixture(scope="session")
def load_stage(poc, request):
    """load_stage(profile) -> the stage's summary; each profile runs once per session."""
    from poc.load import runner
    if os.environ.get("POC_LOAD", "1") == "0":
        pytest.skip("the load stage is turned off (LOAD=0)")
    from poc.load import data
    from poc.verdicts import unsupported
    acted_on = sorted({a["capability"] for a in data.behaviour()["actions"].values()})
    if not set(acted_on) & set(poc.suite.capabilities):
        unsupported(f"the simulated pupils and teachers act over {', '.join(acted_on)}; {poc.suite.name} offers "
                    "none of them (no load profile for its capabilities yet: scenarios/load/behaviour.yaml)")
    from poc.load import actions
    protocols = {c: (poc.suite.capabilities[c] or {}).get("protocol") for c in acted_on if c in poc.suite.capabilities}
    if not any(actions.implemented(c, p) for c, p in protocols.items()):
        unsupported(f"{poc.suite.name} offers {', '.join(f'{c} over {p}' for c, p in sorted(protocols.items()))}; "
                    "the simulated pupils and teachers have no load actions over that protocol yet "
                    "(poc/load/actions.py: learning over " + ", ".join(sorted(actions.LEARNING)) + ")")
    from poc.load import stages
    done: dict = {}
    how = stages.mode()
    block = {"mode": how, "requirements": stages.only() or "all", "length_override_s": data.length_override(),
             "stages": {}, "verdicts": {}}
    if getattr(poc, "controller", False) and hasattr(poc, "manifest"):  # recorded with the run (kept.py reads it)
        poc.manifest["load"] = block

    from poc.load import school_accounts
    say = getattr(poc, "say", print)
    schools: dict = {}  # size -> ProvidedSchool, or the reason the users share the suite's test accounts
    accounts_mode = school_accounts.mode(how == stages.FULL)

    def remove_schools():
        for provided in schools.values():
            if isinstance(provided, school_accounts.ProvidedSchool):
                try:
                    left = school_accounts.remove(poc.deployment, provided, progress=say)
                except Exception as exc:  # noqa: BLE001 - named as left behind, never silent
                    left = [{"what": f"the school {provided.school.name} made for the load stage",
                             "why": f"{type(exc).__name__}: {str(exc)[:300]}",
                             "how": f"remove its users and classes as {poc.suite.name}'s administrator"}]
                getattr(poc.deployment, "left_behind", []).extend(left)

    request.addfinalizer(remove_schools)

    def accounts_for(size: str, folder: Path) -> tuple[dict, dict]:
        """(public summary, environment) of the accounts the stage's users sign in as."""
        if accounts_mode == school_accounts.SHARED:
            return school_accounts.shared_summary(poc.deployment.accounts), {}
        if size not in schools:
            try:
                schools[size] = school_accounts.provide(poc.deployment, size, seed=2026, progress=say)
            except Exception as exc:  # noqa: BLE001 - the stage still measures, on shared accounts, and says why
                schools[size] = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PocError) else str(exc)
                say(f"load: no school of size {size} on {poc.suite.name}: {schools[size]}")
        provided = schools[size]
        if isinstance(provided, str):
            summary = school_accounts.shared_summary(poc.deployment.accounts)
            summary["note"] += f"; no school of its own could be provisioned: {provided}"
            return summary, {}
        return provided.summary, provided.write(folder)

    def stage(level: dict) -> dict:
        """The summary of the stage that judges `level` (a service level), run once per profile and size."""
        plan = stages.plan(level, how)
        if plan not in done:
            folder = Path(poc.run_dir) / "load" / plan.folder
            accounts, env = accounts_for(plan.size, folder)
            st = runner.Stage(name=plan.folder, folder=folder, profile=plan.profile, size=plan.size,
                              duration=plan.seconds, accounts=accounts, extra_env=env)
            pids = list((poc.deployment.pids() or {}).values()) if poc.deployment.mode == "local" else None
            done[plan] = runner.run(st, Path(poc.run_dir) / "suite-state.json", hosts=poc.deployment.hosts(),
                                    suite_pids=pids, progress=say)
            s = done[plan]
            block["stages"][plan.folder] = {"profile": plan.profile, "size": plan.size, "seconds": plan.seconds,
                                            "peak_users": s.get("peak_users"), "real_length": s.get("real_length"),
                                            "started": s.get("started"), "accounts": accounts}
        return done[plan]

    def record(rid: str, verdict: str, why: str, level: dict) -> None:
        """The stage's verdict on one service level, in the run's manifest too (beside results.jsonl)."""
        block["verdicts"][rid] = {"verdict": verdict, "stage": stages.plan(level, how).folder, "why": why}

    stage.record = record
    return stage
