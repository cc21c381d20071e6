"""Extra report sections, found by discovery: each module here may define

    def suite_section(ctx) -> Section | None        # for reports/<suite>.html
    def comparison_section(ctx) -> Section | None   # for reports/comparison.html

``ctx`` holds the run(s), the scores, the catalogue, the language and its strings. The UI
evidence (screenshots, accessibility, privacy) and the load results add themselves this way.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass
class Section:
    id: str
    title: str
    html: str
    order: int = 50


def _modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")


def suite_sections(ctx) -> list[Section]:
    out = [s for m in _modules() if hasattr(m, "suite_section") for s in [m.suite_section(ctx)] if s]
    return sorted(out, key=lambda s: s.order)


def comparison_sections(ctx) -> list[Section]:
    out = [s for m in _modules() if hasattr(m, "comparison_section") for s in [m.comparison_section(ctx)] if s]
    return sorted(out, key=lambda s: s.order)
