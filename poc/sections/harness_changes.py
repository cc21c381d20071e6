"""The security defaults the harness changes on a suite for its own convenience (suite.yaml's
``harness_changes``), each beside the verdicts of the requirements it touches: in reports/<suite>.html
one table for the suite, in reports/comparison.html one per suite that has any. The suite is judged
as shipped everywhere else; this says where the run was not."""

from __future__ import annotations

from html import escape
from pathlib import Path

from .. import suites, yamlfile
from . import Section

WORDS = {
    "en": {"title": "Where the harness changes the suite's defaults", "setting": "Setting", "default": "Default",
           "here": "In this run", "why": "Why", "touches": "Verdicts it touches", "suite": "Suite",
           "none": "none of the automated verdicts",
           "intro": "Each security setting the harness changes from the suite's default for its own convenience. "
                    "The verdicts beside it were reached with the changed setting; everything else is judged "
                    "as shipped."},
    "da": {"title": "Hvor testværktøjet ændrer løsningens standardindstillinger", "setting": "Indstilling",
           "default": "Standard", "here": "I denne kørsel", "why": "Hvorfor", "touches": "Berørte vurderinger",
           "suite": "Løsning", "none": "ingen af de automatiske vurderinger",
           "intro": "Hver sikkerhedsindstilling testværktøjet ændrer fra løsningens standard af hensyn til testen. "
                    "Vurderingerne ved siden af er nået med den ændrede indstilling; alt andet vurderes som leveret."},
}


def _w(ctx) -> dict:
    return WORDS["da" if ctx.get("lang") == "da" else "en"]


def changes_of(view) -> list[dict]:
    """The suite's harness_changes, read from the suite.yaml the run was made from (its folder)."""
    folder = Path((view.manifest.get("suite") or {}).get("folder") or suites.suites_dir() / view.name)
    path = folder / "suite.yaml"
    if not path.exists():
        return []
    try:
        data = yamlfile.load(path).data
    except Exception:  # a broken suite file is reported by `validate`, not here
        return []
    return list((data or {}).get("harness_changes") or [])


def _badge(view, rid: str, t: dict) -> str:
    req = view.score.requirements
    verdict = str(req.loc[rid, "verdict"]) if rid in req.index else "not-tested"
    label = t.get(verdict, verdict) if isinstance(t, dict) else verdict
    return f'{escape(rid)} <span class="v v-{escape(verdict)}">{escape(str(label))}</span>'


def _table(view, changes: list[dict], w: dict, t: dict) -> str:
    rows = [f"<table><tr><th>{w['setting']}</th><th>{w['default']}</th><th>{w['here']}</th><th>{w['why']}</th>"
            f"<th>{w['touches']}</th></tr>"]
    for c in changes:
        touches = ", ".join(_badge(view, rid, t) for rid in c.get("requirements") or []) or \
            f'<span class="muted">{w["none"]}</span>'
        cell = {k: escape(" ".join(str(c.get(k, "")).split())) for k in ("setting", "default", "value", "why")}
        rows.append(f"<tr><td><code>{cell['setting']}</code></td><td>{cell['default']}</td><td>{cell['value']}</td>"
                    f"<td>{cell['why']}</td><td>{touches}</td></tr>")
    return "".join(rows) + "</table>"


def suite_section(ctx) -> Section | None:
    view = ctx.get("view")
    if view is None:
        return None
    changes = changes_of(view)
    if not changes:
        return None
    w, t = _w(ctx), ctx.get("t") or {}
    html = f"<p>{w['intro']}</p>" + _table(view, changes, w, t)
    return Section("harness-changes", w["title"], html, order=45)


def comparison_section(ctx) -> Section | None:
    views = [v for v in ctx.get("views") or [] if changes_of(v)]
    if not views:
        return None
    w, t = _w(ctx), ctx.get("t") or {}
    parts = [f"<p>{w['intro']}</p>"]
    for v in views:
        parts.append(f"<h3>{escape(v.name)}</h3>" + _table(v, changes_of(v), w, t))
    return Section("harness-changes", w["title"], "".join(parts), order=45)
