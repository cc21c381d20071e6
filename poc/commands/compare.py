"""Rebuild reports/comparison.html (+ .csv, .json) from the latest run of every suite on disk."""

from __future__ import annotations

from .. import runs
from ..i18n import language
from ._common import add_catalogue, add_lang, load_catalogue, render_all


def add_arguments(p):
    add_catalogue(p)
    add_lang(p)


def run(args) -> int:
    catalogue = load_catalogue(args)
    latest = runs.latest_per_suite()
    out = render_all(catalogue, language(args.lang))
    for name, view in out["views"].items():
        print(f"{name:<12} run {view.run.id}: {view.manifest.get('status')}")
    if not latest:
        print(f"no runs in {runs.runs_dir()} yet")
    print(f"comparison: {out['paths']['comparison']}")
    return 0
