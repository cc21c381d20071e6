"""Check the catalogue, every suite file, every assessment file, the scenarios' markers and the
conformance cross-check table.

Exits 0 when everything is valid; otherwise prints each problem as file:line: [field] message
and exits 2."""

from __future__ import annotations

from .. import validation
from ._common import add_catalogue


def add_arguments(p):
    add_catalogue(p)


def run(args) -> int:
    summary = validation.validate(catalogue_path=args.catalogue)
    cat = summary.catalogue
    covered = sum(1 for rid in cat.requirements if rid in summary.markers)
    print(f"ok: {cat.path.name} {cat.version}: {len(cat.requirements)} requirements in {len(cat.categories)} "
          f"categories; {covered} covered by scenario markers")
    print(f"ok: suites: {', '.join(s.name for s in summary.suites) or '(none)'}")
    from ..conformance import crosscheck
    rows = crosscheck.load()
    print(f"ok: {crosscheck.table_path().relative_to(crosscheck.table_path().parents[2])}: "
          f"{len({r.requirement for r in rows})} requirements whose verdicts litmus or caldav-server-tester cross-check")
    return 0
