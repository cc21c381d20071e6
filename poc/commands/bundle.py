"""Pack a run (manifest, results, evidence, report) into one archive for reproduction by vendors.

Writes reports/bundles/<run-id>.poc.tar.gz (or --out) and prints its path; check it against a
checkout with `python -m poc verify <archive>`."""

from __future__ import annotations

from pathlib import Path

from .. import bundle
from ._common import add_catalogue, load_catalogue
from .report import find_run


def add_arguments(p):
    p.add_argument("run", nargs="?", help="run id, its prefix, or the run folder (default: the newest run)")
    p.add_argument("--out", type=Path, help="where to write the archive")
    add_catalogue(p)


def run(args) -> int:
    run = find_run(args.run)
    out = bundle.create(run.path, args.out, catalogue=load_catalogue(args))
    print(f"bundle: {out}")
    print(f"check it with: python -m poc verify {out}")
    return 0
