"""Reports with Jinja2: reports/<suite>.html for one run, reports/comparison.html (+ .csv, .json)
for the latest run of every suite. Every page is one self-contained file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from . import __version__, assessments, charts, runs, scoring, sections, suites
from .i18n import strings
from .redact import redact
from .verdicts import ALL, NOT_TESTED

TEMPLATES = Path(__file__).parent / "templates"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda v: "–" if v is None or v != v else f"{v * 100:.0f} %"
    env.filters["redact"] = redact
    env.filters["num"] = lambda v: f"{v:g}" if isinstance(v, float) else v
    return env


@dataclass
class RunView:
    """One run ready for a report: its manifest, records, score and the way to its evidence."""

    run: runs.Run
    score: scoring.SuiteScore
    results: pd.DataFrame
    assessments: list[dict]
    link_base: str  # from the report's folder to the run folder
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.run.suite

    @property
    def manifest(self) -> dict:
        return self.run.manifest

    def __post_init__(self):
        # plain dicts for the templates: one look-up per cell instead of a pandas query
        self.req = self.score.requirements.to_dict("index")
        self.cat = self.score.categories.to_dict("index")
        self._scenarios: dict[str, list[dict]] = {}
        if len(self.results):
            for row in self.results.to_dict("records"):
                self._scenarios.setdefault(row.get("requirement"), []).append(row)

    def scenarios_of(self, rid: str) -> list[dict]:
        return self._scenarios.get(rid, [])


def run_view(run: runs.Run, catalogue, report_dir: Path, *, frame: pd.DataFrame | None = None) -> RunView:
    results = run.results()
    folder = Path(run.manifest["suite"].get("folder") or suites.suites_dir() / run.suite)
    manual = assessments.load(folder, catalogue) if folder.exists() else []
    offered = set(run.manifest["suite"].get("capabilities", {}))
    score = scoring.score(catalogue, run.suite, offered, results, manual, frame=frame)
    link = os.path.relpath(run.path, report_dir)
    return RunView(run, score, results, manual, link)


def _verdict_line(view: RunView, lang: str) -> str:
    t = strings(lang)
    overall = "–" if view.score.overall is None else f"{view.score.overall * 100:.0f} %"
    return t["verdict_line"].format(overall=overall, knockouts=len(view.score.knockouts),
                                    coverage=f"{view.score.coverage * 100:.0f} %")


def verdict_line(view: RunView, lang: str = "en") -> str:
    return _verdict_line(view, lang)


def _grouped(catalogue):
    groups = {}
    for r in catalogue.requirements.values():
        groups.setdefault(r.category, []).append(r)
    return [(cid, catalogue.categories[cid], groups.get(cid, [])) for cid in catalogue.categories]


def render_suite(view: RunView, catalogue, lang: str, out: Path) -> Path:
    t = strings(lang)
    labels = [catalogue.categories[c]["title"][lang] for c in view.score.categories.index]
    chart = charts.bars(labels, {view.name: list(view.score.categories["score"])}, title=t["categories"])
    ctx = {"view": view, "views": [view], "catalogue": catalogue, "lang": lang, "t": t}
    html = _env().get_template("suite.html.j2").render(
        **ctx, chart=chart, groups=_grouped(catalogue), verdicts=ALL, version=__version__,
        line=_verdict_line(view, lang), generated=runs.now(), sections=sections.suite_sections(ctx),
        assessments={a["requirement"]: a for a in view.assessments})
    _write(out, redact(html))
    return out


def render_comparison(views: list[RunView], catalogue, lang: str, out_dir: Path) -> Path:
    t = strings(lang)
    labels = [catalogue.categories[c]["title"][lang] for c in catalogue.categories]
    chart = charts.bars(labels, {v.name: list(v.score.categories["score"]) for v in views},
                        title=t["category_scores"]) if views else ""
    untested = [r for r in catalogue.requirements.values()
                if views and all(v.req[r.id]["verdict"] == NOT_TESTED for v in views)]
    ctx = {"views": views, "catalogue": catalogue, "lang": lang, "t": t}
    html = _env().get_template("comparison.html.j2").render(
        **ctx, chart=chart, groups=_grouped(catalogue), verdicts=ALL, version=__version__,
        lines={v.name: _verdict_line(v, lang) for v in views}, generated=runs.now(), untested=untested,
        knockout_ids=[rid for rid in catalogue.requirements if any(rid in v.score.knockouts.index for v in views)],
        sections=sections.comparison_sections(ctx))
    _write(out_dir / "comparison.html", redact(html))
    frame = comparison_frame(views, catalogue)
    tmp = out_dir / "comparison.csv.tmp"
    frame.to_csv(tmp, index=False)
    os.replace(tmp, out_dir / "comparison.csv")
    runs.write_json(out_dir / "comparison.json", comparison_data(views, catalogue))
    return out_dir / "comparison.html"


def comparison_frame(views: list[RunView], catalogue) -> pd.DataFrame:
    base = scoring.catalogue_frame(catalogue).reset_index()
    base.insert(1, "title_en", [catalogue.requirements[i].title["en"] for i in base["id"]])
    base.insert(2, "title_da", [catalogue.requirements[i].title["da"] for i in base["id"]])
    for v in views:
        base[v.name] = list(v.score.requirements["verdict"])
        base[f"{v.name}_credit"] = list(v.score.requirements["credit"].round(4))
    return base


def comparison_data(views: list[RunView], catalogue) -> dict:
    out = {"generated": runs.now(), "harness": __version__,
           "catalogue": {"version": catalogue.version, "sha256": catalogue.sha256()}, "suites": {}}
    for v in views:
        s = v.score
        out["suites"][v.name] = {
            "run_id": v.run.id, "status": v.manifest.get("status"), "message": v.manifest.get("message", ""),
            "version": v.manifest["suite"].get("version"),
            "overall": s.overall, "coverage": s.coverage, "knockouts": list(s.knockouts.index),
            "categories": {c: (None if pd.isna(row["score"]) else float(row["score"]))
                           for c, row in s.categories.iterrows()},
            "requirements": {rid: {"verdict": row["verdict"], "manual": bool(row["manual"]),
                                   "credit": None if pd.isna(row["credit"]) else float(row["credit"])}
                             for rid, row in s.requirements.iterrows()},
            **v.extra,
        }
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def json_default(o):
    return str(o)


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=json_default)
