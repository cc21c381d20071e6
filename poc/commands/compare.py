"""Rebuild reports/comparison.html (+ .csv, .json) from the runs on disk: per suite its latest complete run,
with the attempts made since (not started, cut short, interrupted, partial) beside it."""

from __future__ import annotations

from .. import runs
from ..i18n import language
from ._common import add_assessments, add_catalogue, add_lang, load_catalogue, render_all


def add_arguments(p):
    add_catalogue(p)
    add_lang(p)
    add_assessments(p)  # for the reference columns; every run keeps the choice it was evaluated with


def run(args) -> int:
    catalogue = load_catalogue(args)
    out = render_all(catalogue, language(args.lang), assessments=args.assessments)
    for name, view in out["views"].items():
        kind = "attempt, no complete run yet" if view.standin else "complete"
        newer = [a for a in view.attempts if not a.get("shown")]
        more = f"; {len(newer)} attempt(s) beside it" if newer and not view.standin else ""
        print(f"{name:<12} run {view.run.id}: {view.manifest.get('status')} ({kind}{more})")
    if not out["views"]:
        print(f"no runs in {runs.runs_dir()} yet")
    print(f"comparison: {out['paths']['comparison']}")
    return 0
