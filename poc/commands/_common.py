"""Arguments and steps several commands share."""

from __future__ import annotations

from pathlib import Path

from .. import catalogue as catalogue_mod
from .. import report, runs, suites


def add_catalogue(p):
    p.add_argument("--catalogue", type=Path, default=None, help="requirement catalogue (default: requirements.yaml)")


def add_lang(p):
    p.add_argument("--lang", default=None, help="report language: da or en (default: from LANG)")


def load_catalogue(args):
    return catalogue_mod.load(args.catalogue or suites.repo_root() / "requirements.yaml")


def render_all(catalogue, lang: str, focus: runs.Run | None = None, progress=print) -> dict:
    """Render the report of `focus` (if given) and the comparison of the latest run of every suite."""
    out_dir = runs.reports_dir()
    frame = None
    views, paths = [], {}
    from ..scoring import catalogue_frame
    frame = catalogue_frame(catalogue)
    latest = runs.latest_per_suite()
    if focus is not None:
        latest[focus.suite] = focus
    for name, run in sorted(latest.items()):
        view = report.run_view(run, catalogue, out_dir, frame=frame)
        views.append(view)
        if focus is None or run.path == focus.path:
            paths[name] = report.render_suite(view, catalogue, lang, out_dir / f"{name}.html")
    paths["comparison"] = report.render_comparison(views, catalogue, lang, out_dir)
    return {"paths": paths, "views": {v.name: v for v in views}}
