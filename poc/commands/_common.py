"""Arguments and steps several commands share."""

from __future__ import annotations

import os
from pathlib import Path

from .. import catalogue as catalogue_mod
from .. import report, runs, suites


def add_catalogue(p):
    p.add_argument("--catalogue", type=Path, default=None, help="requirement catalogue (default: requirements.yaml)")


def add_assessments(p):
    p.add_argument("--assessments", choices=("confirmed", "all"), default="confirmed",
                   help="which manual assessments count in the score: confirmed only (default) or proposed "
                        "ones too; recorded in the run's manifest, printed in the report")


def add_lang(p):
    p.add_argument("--lang", default=None, help="report language: da or en (default: from LANG)")


def load_catalogue(args):
    return catalogue_mod.load(args.catalogue or suites.repo_root() / "requirements.yaml")


def render_all(catalogue, lang: str, focus: runs.Run | None = None, progress=print, *,
               assessments: str | None = None) -> dict:
    """Render the report of `focus` (if given) and the comparison: per suite its latest complete run,
    with the attempts made since beside it (runs.comparison_runs); an attempt never replaces it.

    reports/<suite>.html is the report of the suite's newest run (`focus`, or with no focus every
    suite's newest run again); every run made also keeps its own report in its folder
    (runs/<id>/report.html), which the comparison links to when <suite>.html holds another run."""
    out_dir = runs.reports_dir()
    views, paths = [], {}
    from ..load import kept
    from ..scoring import catalogue_frame
    frame = catalogue_frame(catalogue)
    picked = runs.comparison_runs(extra=[focus] if focus is not None else ())
    every = runs.all_runs() + ([focus] if focus is not None else [])

    def own_report(run: runs.Run, refresh: bool) -> str:
        target = run.path / report.RUN_REPORT
        if refresh or not target.exists():
            report.render_suite(report.run_view(run, catalogue, run.path, frame=frame), catalogue, lang, target)
        return os.path.relpath(target, out_dir)

    def same(a: runs.Run | None, b: runs.Run | None) -> bool:
        return a is not None and b is not None and a.path.resolve() == b.path.resolve()

    focus_view = None
    if focus is not None:
        focus_view = report.run_view(focus, catalogue, out_dir, frame=frame)
        paths[focus.suite] = report.render_suite(focus_view, catalogue, lang, out_dir / f"{focus.suite}.html")
        own_report(focus, refresh=True)
    for name, suite_runs in picked.items():
        on_page = focus if focus is not None and focus.suite == name else suite_runs.newest
        if focus is None and on_page is not None:
            paths[name] = report.render_suite(report.run_view(on_page, catalogue, out_dir, frame=frame), catalogue,
                                              lang, out_dir / f"{name}.html")
        shown = suite_runs.shown
        if shown is None:
            continue
        view = focus_view if same(shown, focus) else report.run_view(shown, catalogue, out_dir, frame=frame)
        school_day = kept.for_suite(name, catalogue, every)  # PRF verdicts of the latest real-length run(s)
        if school_day:
            view = report.run_view(shown, catalogue, out_dir, frame=frame,
                                   results=kept.merge(shown.results(), school_day))
            view.extra["real_length_load"] = school_day
        view.standin = suite_runs.complete is None
        view.href = f"{name}.html" if same(shown, on_page) else own_report(shown, refresh=focus is None)
        view.attempts = []
        for attempt in suite_runs.attempts:
            if same(attempt, on_page):
                href = f"{name}.html"
            elif (attempt.path / report.RUN_REPORT).exists():
                href = os.path.relpath(attempt.path / report.RUN_REPORT, out_dir)
            else:
                href = None
            view.attempts.append(report.attempt_summary(attempt, catalogue, href=href, frame=frame)
                                 | {"shown": same(attempt, shown)})
        views.append(view)
    # today's solution beside the candidates: reference columns from their assessments alone
    # (`assessments`: whether their proposed assessments count; each run keeps the choice in its manifest)
    from ..reference import reference_views
    refs = reference_views(catalogue, out_dir, frame=frame, assessments_mode=assessments or "confirmed")
    for ref in refs:
        paths[ref.name] = report.render_suite(ref, catalogue, lang, out_dir / f"{ref.name}.html")
    paths["comparison"] = report.render_comparison(views, catalogue, lang, out_dir, references=refs)
    return {"paths": paths, "views": {v.name: v for v in views}, "focus": focus_view, "picked": picked,
            "references": {v.name: v for v in refs}}
