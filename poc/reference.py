"""Reference columns: today's solution (e.g. Google Workspace for Education, Microsoft 365 Education)
beside the candidates in the comparison, although nothing of it runs here.

A suite with `mode: reference` has no servers. Its "run" is built from its assessments alone: every
automated requirement is `not-tested` with the reason "reference: no server, public sources only",
and its manual requirements take the verdicts of suites/<name>/assessments.yaml (the proposed ones
only when the comparison counts them: ASSESSMENTS=all). Nothing is unsupported for lack of a
declared capability, because a reference declares none.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pandas as pd

from . import __version__, assessments, runs, scoring, suites
from .errors import ConfigError
from .verdicts import NOT_TESTED

REASON = "reference: no server, public sources only"
STATUS = "reference"


def reference_suites(folder: Path | None = None) -> list[suites.Suite]:
    """The suites with mode: reference (a broken suite file is left to `make validate` to name)."""
    out = []
    for name in suites.names(folder):
        try:
            suite = suites.load(name, folder)
        except ConfigError:
            continue
        if suite.is_reference:
            out.append(suite)
    return out


def manifest(suite: suites.Suite, catalogue, assessments_mode: str) -> dict:
    """A manifest-shaped description of the reference column, so the reports can show it like a run."""
    now = runs.now()
    return {
        "run_id": f"reference-{suite.name}", "status": STATUS, "message": REASON,
        "started": now, "finished": now, "assessments": assessments_mode,
        "suite": {"name": suite.name, "title": suite.config["title"], "mode": suite.mode,
                  "version": "public sources", "folder": str(suite.folder), "suite_yaml_sha256": suite.sha256(),
                  "capabilities": {}, "reference": suite.config.get("reference", {})},
        "harness": {"version": __version__, "commit": "", "dirty": False},
        "catalogue": {"file": catalogue.path.name, "version": catalogue.version, "sha256": catalogue.sha256()},
        "scenarios": {}, "options": {}, "scope": {"kinds": [], "complete": True, "reference": True},
        "python": sys.version.split()[0], "platform": platform.platform(), "packages": {},
    }


def reference_view(suite: suites.Suite, catalogue, report_dir: Path, *, frame: pd.DataFrame | None = None,
                   assessments_mode: str = assessments.DEFAULT_MODE):
    """The RunView of a reference column: scored from its assessments alone."""
    from .report import RunView

    found = assessments.load_file(suite.folder, catalogue)
    results = runs.read_results(Path(os.devnull) / "none")  # no scenario ran: an empty frame of the usual shape
    offered = set(catalogue.capabilities)  # nothing declared, so nothing is `unsupported` for lack of it
    score = scoring.score(catalogue, suite.name, offered, results, found.assessments, frame=frame,
                          assessments_mode=assessments_mode)
    req = score.requirements
    automated = (req["verdict"] == NOT_TESTED) & (req["assessment"] != "manual") & (req["assessment_status"] == "")
    req.loc[automated, "note"] = REASON
    run = runs.Run(runs.runs_dir() / f"reference-{suite.name}", manifest(suite, catalogue, assessments_mode))
    view = RunView(run, score, results, found.assessments, os.path.relpath(run.path, report_dir),
                   extra={"mode": STATUS, "assessments": assessments_mode})
    view.href = f"{suite.name}.html"
    view.open_items = found.open
    return view


def reference_views(catalogue, report_dir: Path, *, frame: pd.DataFrame | None = None,
                    assessments_mode: str = assessments.DEFAULT_MODE) -> list:
    return [reference_view(s, catalogue, report_dir, frame=frame, assessments_mode=assessments_mode)
            for s in reference_suites()]
