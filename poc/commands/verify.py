"""Check a bundled run against this checkout: the catalogue's and every scenario file's hashes,
the harness version, the archive's own integrity, and that the results match the report.

Exits 0 when the run was made from this checkout's unmodified scenarios and catalogue and its
results are intact; otherwise names every difference and exits 1."""

from __future__ import annotations

from pathlib import Path

from .. import bundle
from ..errors import PocError
from ._common import add_catalogue, load_catalogue


def add_arguments(p):
    p.add_argument("archive", type=Path, help="an archive made by `python -m poc bundle`")
    add_catalogue(p)


def run(args) -> int:
    if not args.archive.is_file():
        raise PocError(f"no archive {args.archive}")
    verdict = bundle.verify(args.archive, catalogue=load_catalogue(args))
    for finding in verdict.findings:
        print(finding)
    print(f"checked: {', '.join(verdict.checked) or 'nothing'}")
    if verdict.ok:
        print(f"ok: run {verdict.run_id} matches this checkout")
        return 0
    fails = sum(1 for f in verdict.findings if f.level == "fail")
    print(f"NOT VERIFIED: run {verdict.run_id or '?'}: {fails} difference(s)")
    return 1
