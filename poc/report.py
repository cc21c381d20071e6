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
from . import manifest as manifest_mod
from .i18n import strings
from .redact import redact
from .verdicts import ALL, NOT_TESTED

TEMPLATES = Path(__file__).parent / "templates"
RUN_REPORT = "report.html"  # a run's own report, kept in its run folder (reports/<suite>.html is the newest run's)
ATTEMPTS_SHOWN = 5  # attempts listed per suite on the comparison page; comparison.json holds them all


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
    complete: bool = True   # runs.is_complete(): finished, API and UI scenarios, nothing narrowed
    standin: bool = False   # in the comparison for a suite with no complete run: an attempt, not scored
    href: str = ""          # from the comparison page to this run's report
    attempts: list = field(default_factory=list)  # attempt_summary() of the suite's attempts, newest first

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

    @property
    def scope(self) -> dict:
        return runs.scope_of(self.run)


def run_view(run: runs.Run, catalogue, report_dir: Path, *, frame: pd.DataFrame | None = None,
             results: pd.DataFrame | None = None) -> RunView:
    """`results`: the run's own records unless given (the comparison passes them with the school day's
    verdicts from the latest real-length run merged in: poc/load/kept.py)."""
    results = run.results() if results is None else results
    folder = Path(run.manifest["suite"].get("folder") or suites.suites_dir() / run.suite)
    manual = assessments.load(folder, catalogue) if folder.exists() else []
    offered = set(run.manifest["suite"].get("capabilities", {}))
    choice = run.manifest.get("assessments") or assessments.DEFAULT_MODE  # recorded by `evaluate --assessments`
    score = scoring.score(catalogue, run.suite, offered, results, manual, frame=frame, assessments_mode=choice)
    link = os.path.relpath(run.path, report_dir)
    return RunView(run, score, results, manual, link, complete=runs.is_complete(run))


def scope_text(scope: dict, lang: str) -> str:
    """The scope of a run in words, e.g. "API + UI (load stage left out)" or "API only, -k roundtrip"."""
    t = strings(lang)
    kinds = list(scope.get("kinds") or [])
    if scope.get("only"):
        parts = [t["scope_only"].format(kind=t.get("kind_" + scope["only"], scope["only"]))]
    elif set(manifest_mod.KINDS) <= set(kinds):
        parts = [t["scope_all"]]
    else:
        parts = [" + ".join(t.get("kind_" + k, k) for k in kinds) or t["none"]]
        if {"api", "ui"} <= set(kinds) and "load" not in kinds:
            parts[0] += f" ({t['scope_no_load']})"
    if scope.get("keyword"):
        parts.append(f"-k {scope['keyword']}")
    if scope.get("markers"):
        parts.append(f"-m {scope['markers']}")
    if scope.get("selection"):
        parts.append(t["scope_selection"].format(n=len(scope["selection"])))
    if scope.get("deselected"):
        parts.append(t["scope_deselected"].format(n=len(scope["deselected"])))
    return ", ".join(parts)


def _scope_short(scope: dict) -> str:
    """The scope for comparison.csv, the same in every language: api+ui+load, api -k roundtrip, ..."""
    text = "+".join(scope.get("kinds") or []) or "-"
    for key, flag in (("keyword", "-k"), ("markers", "-m")):
        if scope.get(key):
            text += f" {flag} {scope[key]}"
    if scope.get("selection"):
        text += " " + " ".join(scope["selection"])
    return text


def attempt_summary(run: runs.Run, catalogue, *, href: str | None, frame: pd.DataFrame | None = None) -> dict:
    """An attempt as the comparison lists it: when, how it ended, what it covered, its report, and the
    requirement verdicts it recorded (only those it has scenarios for; not a score)."""
    m = run.manifest
    out = {"run_id": run.id, "status": m.get("status"), "message": m.get("message", ""),
           "started": m.get("started"), "finished": m.get("finished"), "scope": runs.scope_of(run),
           "counts": m.get("counts", {}), "report": href, "recorded": {}}
    try:
        offered = set(m["suite"].get("capabilities", {}))
        req = scoring.score(catalogue, run.suite, offered, run.results(), frame=frame).requirements
        out["recorded"] = {rid: row["verdict"] for rid, row in req[req["scenarios"] > 0].iterrows()}
    except (OSError, ValueError) as exc:  # a damaged results.jsonl still leaves the attempt listed
        out["problem"] = str(exc)
    return out


def _verdict_line(view: RunView, lang: str) -> str:
    t = strings(lang)
    overall = "–" if view.score.overall is None else f"{view.score.overall * 100:.0f} %"
    return t["verdict_line"].format(overall=overall, knockouts=len(view.score.knockouts),
                                    coverage=f"{view.score.coverage * 100:.0f} %", judged=view.score.judged,
                                    total=view.score.total, not_verified=view.score.not_verified)


def verdict_line(view: RunView, lang: str = "en") -> str:
    return _verdict_line(view, lang)


def judged_notes(score: scoring.SuiteScore, t: dict) -> list[str]:
    """Beside each category's bar: on how many of its requirements the score rests (e.g. "1/6 judged,
    4 not verified"), so that no bar reads as if it covered requirements nobody judged."""
    out = []
    for _, row in score.categories.iterrows():
        note = f"{int(row['judged'])}/{int(row['requirements'])} {t['judged']}"
        if row["not_verified"]:
            note += ", " + t["not_verified_n"].format(n=int(row["not_verified"]))
        out.append(("⚠ " if row["few"] else "") + note)
    return out


def _grouped(catalogue):
    groups = {}
    for r in catalogue.requirements.values():
        groups.setdefault(r.category, []).append(r)
    return [(cid, catalogue.categories[cid], groups.get(cid, [])) for cid in catalogue.categories]


def render_suite(view: RunView, catalogue, lang: str, out: Path) -> Path:
    t = strings(lang)
    labels = [catalogue.categories[c]["title"][lang] for c in view.score.categories.index]
    chart = charts.bars(labels, {view.name: list(view.score.categories["score"])}, title=t["categories"],
                        notes={view.name: judged_notes(view.score, t)})
    ctx = {"view": view, "views": [view], "catalogue": catalogue, "lang": lang, "t": t}
    line = _verdict_line(view, lang)
    if not view.complete:  # an attempt's own report says so first
        status = view.manifest.get("status", "")
        line = t["attempt_report"].format(status=t.get(f"status_{status}", status),
                                          scope=scope_text(view.scope, lang)) + " " + line
    html = _env().get_template("suite.html.j2").render(
        **ctx, chart=chart, groups=_grouped(catalogue), verdicts=ALL, version=__version__,
        line=line, generated=runs.now(), sections=sections.suite_sections(ctx),
        assessments={a["requirement"]: a for a in view.assessments},
        manual=assessments.report_context(view, catalogue))
    _write(out, redact(html))
    return out


def render_comparison(views: list[RunView], catalogue, lang: str, out_dir: Path, *,
                      references: list[RunView] | None = None) -> Path:
    """`views`: per suite its latest complete run, or (standin) its best attempt when it has none;
    each with the attempts made since (view.attempts). Only complete runs are scored and charted."""
    t = strings(lang)
    scored = [v for v in views if not v.standin]
    labels = [catalogue.categories[c]["title"][lang] for c in catalogue.categories]
    chart = charts.bars(labels, {v.name: list(v.score.categories["score"]) for v in scored},
                        title=t["category_scores"], notes={v.name: judged_notes(v.score, t) for v in scored}) \
        if scored else ""
    untested = [r for r in catalogue.requirements.values()
                if scored and all(v.req[r.id]["verdict"] == NOT_TESTED for v in scored)]
    ctx = {"views": scored, "catalogue": catalogue, "lang": lang, "t": t}
    html = _env().get_template("comparison.html.j2").render(
        **ctx, shown=views, chart=chart, groups=_grouped(catalogue), verdicts=ALL, version=__version__,
        lines={v.name: _verdict_line(v, lang) for v in scored}, generated=runs.now(), untested=untested,
        knockout_ids=[rid for rid in catalogue.requirements if any(rid in v.score.knockouts.index for v in scored)],
        scope_text=lambda scope: scope_text(scope, lang), attempts_shown=ATTEMPTS_SHOWN,
        sections=sections.comparison_sections(ctx), references=references or [])
    _write(out_dir / "comparison.html", redact(html))
    frame = comparison_frame(views, catalogue, references=references or ())
    tmp = out_dir / "comparison.csv.tmp"
    frame.to_csv(tmp, index=False)
    os.replace(tmp, out_dir / "comparison.csv")
    runs.write_json(out_dir / "comparison.json", comparison_data(views, catalogue, references=references or ()))
    return out_dir / "comparison.html"


def comparison_frame(views: list[RunView], catalogue, *, references=()) -> pd.DataFrame:
    base = scoring.catalogue_frame(catalogue).reset_index()
    base.insert(1, "title_en", [catalogue.requirements[i].title["en"] for i in base["id"]])
    base.insert(2, "title_da", [catalogue.requirements[i].title["da"] for i in base["id"]])
    for v in views:
        base[v.name] = list(v.score.requirements["verdict"])
        base[f"{v.name}_credit"] = list(v.score.requirements["credit"].round(4)) if not v.standin else None
        base[f"{v.name}_not_verified"] = list(v.score.requirements["not_verified"])
        base[f"{v.name}_run"] = v.run.id + ("" if not v.standin else
                                            f" (attempt: {v.manifest.get('status')}; {_scope_short(v.scope)})")
        kept = v.extra.get("real_length_load") or {}
        if kept:  # the school day's verdicts from the latest real-length run, with its run, date and size
            base[f"{v.name}_real_length"] = [
                f"{kept[rid]['verdict']} ({kept[rid]['run_id']}, {kept[rid]['started']}, {kept[rid]['profile']} "
                f"at size {kept[rid]['size']})" if rid in kept else "" for rid in base["id"]]
        newer = [a for a in v.attempts if a["run_id"] != v.run.id]
        if newer:  # the newest attempt beside it: the verdicts it recorded, blank where it recorded none
            a = newer[0]
            base[f"{v.name}_attempt"] = [a["recorded"].get(rid, "") for rid in base["id"]]
            base[f"{v.name}_attempt_run"] = f"{a['run_id']} (attempt: {a['status']}; {_scope_short(a['scope'])})"
    for v in references:  # today's solution, assessed from public sources: apart from the candidates
        base[f"{v.name} (reference)"] = list(v.score.requirements["verdict"])
        base[f"{v.name} (reference)_credit"] = list(v.score.requirements["credit"].round(4))
        base[f"{v.name} (reference)_assessment"] = list(v.score.requirements["assessment_status"])
    return base


def comparison_data(views: list[RunView], catalogue, *, references=()) -> dict:
    out = {"generated": runs.now(), "harness": __version__,
           "catalogue": {"version": catalogue.version, "sha256": catalogue.sha256()}, "suites": {}}
    for v in views:
        s = v.score
        entry = {
            "run_id": v.run.id, "status": v.manifest.get("status"), "message": v.manifest.get("message", ""),
            "version": v.manifest["suite"].get("version"),
            "complete": v.complete, "scope": v.scope,
            "overall": s.overall, "coverage": s.coverage, "knockouts": list(s.knockouts.index),
            # what the scores rest on: requirements judged, tried but not verified, of all
            "judged": s.judged, "not_verified": s.not_verified, "total": s.total,
            "categories": {c: (None if pd.isna(row["score"]) else float(row["score"]))
                           for c, row in s.categories.iterrows()},
            "category_counts": _category_counts(s),
            "requirements": {rid: {"verdict": row["verdict"], "manual": bool(row["manual"]),
                                   "credit": None if pd.isna(row["credit"]) else float(row["credit"]),
                                   **({"not_verified": row["not_verified_reason"]} if row.get("not_verified") else {})}
                             for rid, row in s.requirements.iterrows()},
            **v.extra,
        }
        if v.standin:  # no complete run: the attempt's verdicts are shown, but nothing is scored
            entry.update(no_complete_run=True, overall=None, knockouts=None,
                         categories={c: None for c in entry["categories"]})
            for row in entry["requirements"].values():
                row["credit"] = None
        if v.href:
            entry["report"] = v.href
        if v.attempts or v.standin:
            entry["attempts"] = v.attempts
        out["suites"][v.name] = entry
    if references:  # reference columns: no run, assessed from public sources only (poc/reference.py)
        out["references"] = {v.name: _reference_data(v) for v in references}
    return out


def _category_counts(s: scoring.SuiteScore) -> dict:
    return {c: {"requirements": int(row["requirements"]), "judged": int(row["judged"]),
                "not_verified": int(row["not_verified"]), "few": bool(row["few"])}
            for c, row in s.categories.iterrows()}


def _reference_data(v: RunView) -> dict:
    s, req = v.score, v.score.requirements
    return {"mode": "reference", "assessments": v.extra.get("assessments"), "note": v.manifest.get("message"),
            "overall": s.overall, "coverage": s.coverage, "knockouts": list(s.knockouts.index),
            "categories": {c: (None if pd.isna(row["score"]) else float(row["score"])) for c, row in s.categories.iterrows()},
            "requirements": {rid: {"verdict": row["verdict"], "manual": bool(row["manual"]),
                                   "assessment": row["assessment_status"] or None,
                                   "proposed": row["proposed_verdict"] or None,
                                   "credit": None if pd.isna(row["credit"]) else float(row["credit"])}
                             for rid, row in req.iterrows()}}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def json_default(o):
    return str(o)


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=json_default)
