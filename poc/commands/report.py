"""Render the report of one run again (reports/<suite>.html) and the comparison page."""

from __future__ import annotations

from pathlib import Path

from .. import runs
from ..errors import PocError
from ..i18n import language
from ._common import add_catalogue, add_lang, load_catalogue, render_all


def add_arguments(p):
    p.add_argument("run", help="run id or run folder (default: newest)", nargs="?")
    add_catalogue(p)
    add_lang(p)


def find_run(ref: str | None) -> runs.Run:
    if ref and Path(ref).is_dir():
        return runs.load(Path(ref))
    everything = runs.all_runs()
    if ref:
        everything = [r for r in everything if r.id == ref or r.id.startswith(ref)]
    if not everything:
        raise PocError(f"no run {ref!r} in {runs.runs_dir()}" if ref else f"no runs in {runs.runs_dir()}")
    return sorted(everything, key=lambda r: r.manifest.get("started", ""))[-1]


def run(args) -> int:
    catalogue = load_catalogue(args)
    focus = find_run(args.run)
    out = render_all(catalogue, language(args.lang), focus=focus)
    print(f"report: {out['paths'][focus.suite]}")
    print(f"comparison: {out['paths']['comparison']}")
    return 0
