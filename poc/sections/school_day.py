"""The school day at real length: per suite, the service-level verdicts (PRF-01 the 08:00 login storm,
PRF-02 the hand-in deadline, ...) of its latest real-length run (`make evaluate LOAD=full`), each with
that run's date, profile and size, beside the latest evaluation (poc/load/kept.py). A short run's load
stage cannot judge them; these are kept until a newer real-length run replaces them."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from .. import runs
from ..load import kept
from . import Section

WORDS = {
    "en": {"title": "The school day at real length", "suite": "Suite", "requirement": "Requirement",
           "verdict": "Verdict", "run": "Real-length run", "date": "Date", "profile": "Profile", "size": "Size",
           "users": "Peak users", "length": "Length", "p95": "p95", "errors": "Errors",
           "connections": "New connections", "accounts": "Accounts", "own": "{n:,} own", "shared": "{n} shared",
           "intro": "The service levels judged at their own school size and real length, from each suite's latest "
                    "real-length run (make evaluate SUITE=… LOAD=full). They stay here, with the run's date and "
                    "size, until a newer real-length run replaces them; a later short run's load stage does not "
                    "judge them and does not replace them. The comparison's requirement rows use these verdicts.",
           "none": "no real-length run yet (make evaluate SUITE={suite} LOAD=full)",
           "override": "test length {s:.0f} s, not the real one",
           "suite_intro": "Kept for this suite from its latest real-length run(s); this run's own load stage is in "
                          "its requirement rows."},
    "da": {"title": "Skoledagen i fuld længde", "suite": "Løsning", "requirement": "Krav", "verdict": "Resultat",
           "run": "Kørsel i fuld længde", "date": "Dato", "profile": "Profil", "size": "Størrelse",
           "users": "Maks. brugere", "length": "Længde", "p95": "p95", "errors": "Fejl",
           "connections": "Nye forbindelser", "accounts": "Konti", "own": "{n:,} egne", "shared": "{n} delte",
           "intro": "Serviceniveauerne vurderet ved deres egen skolestørrelse og fulde længde, fra hver løsnings "
                    "seneste kørsel i fuld længde (make evaluate SUITE=… LOAD=full). De bliver stående med kørslens "
                    "dato og størrelse, indtil en nyere kørsel i fuld længde erstatter dem; en senere kort kørsel "
                    "vurderer dem ikke og erstatter dem ikke. Sammenligningens kravrækker bruger disse resultater.",
           "none": "ingen kørsel i fuld længde endnu (make evaluate SUITE={suite} LOAD=full)",
           "override": "testlængde {s:.0f} s, ikke den rigtige",
           "suite_intro": "Beholdt for løsningen fra dens seneste kørsel(er) i fuld længde; kørslens egen "
                          "belastningstest står i kravrækkerne."},
}


def _w(ctx) -> dict:
    return WORDS.get(ctx.get("lang"), WORDS["en"])


def _length(k: dict, w: dict) -> str:
    if k.get("length_override_s"):
        return escape(w["override"].format(s=k["length_override_s"]))
    s = k.get("duration_s")
    return "–" if s is None else f"{s / 60:.0f} min"


def _rows(name: str, school_day: dict, catalogue, w: dict, t: dict, lang: str, link) -> list[str]:
    out = []
    for rid, k in school_day.items():
        title = catalogue.requirements[rid].title[lang] if rid in catalogue.requirements else ""
        verdict = k["verdict"]
        p95 = "–" if k.get("p95_ms") is None else f"{k['p95_ms']:,.0f} ms"
        errors = "–" if k.get("error_rate") is None else f"{k['error_rate']:.2%}"
        conn = "–" if k.get("connections") is None else f"{k['connections']:,}"
        href = link(k["run_id"])
        run = escape(k["run_id"]) if not href else f'<a href="{escape(href)}">{escape(k["run_id"])}</a>'
        out.append(f'<tr><td>{escape(name)}</td><td>{escape(rid)} {escape(title)}</td>'
                   f'<td class="cell-{escape(verdict)}"><span class="v v-{escape(verdict)}">'
                   f'{escape(t.get(verdict, verdict))}</span><div class="muted msg">{escape(k.get("message", "")[:300])}</div></td>'
                   f'<td>{run}</td><td>{escape(str(k.get("started") or ""))}</td><td>{escape(k["profile"])}</td>'
                   f'<td>{escape(str(k["size"]))}</td><td>{k.get("peak_users") or 0:,}</td><td>{_length(k, w)}</td>'
                   f'<td>{p95}</td><td>{errors}</td><td>{conn}</td><td>{_accounts(k, w)}</td></tr>')
    return out


def _accounts(k: dict, w: dict) -> str:
    """Whose accounts the simulated users signed in as: one each (a school provisioned), or shared test accounts."""
    a = k.get("accounts") or {}
    if not a.get("accounts"):
        return "–"
    return escape(w["own" if a.get("mode") == "school" else "shared"].format(n=a.get("distinct_used") or a["accounts"]))


def _head(w: dict) -> str:
    cols = ("suite", "requirement", "verdict", "run", "date", "profile", "size", "users", "length", "p95", "errors",
            "connections", "accounts")
    return "<table><tr>" + "".join(f"<th>{escape(w[c])}</th>" for c in cols) + "</tr>"


def _linker(report_dir: Path, runs_root: Path | None = None):
    def link(run_id: str) -> str | None:
        target = (runs_root or runs.runs_dir()) / run_id / "report.html"
        return os.path.relpath(target, report_dir) if target.exists() else None
    return link


def comparison_section(ctx) -> Section | None:
    views = ctx.get("views") or []
    if not views or not _any_prf(ctx):
        return None
    w, t, lang, catalogue = _w(ctx), ctx.get("t") or {}, ctx.get("lang", "en"), ctx["catalogue"]
    link = _linker(runs.reports_dir())
    rows = [f"<p>{escape(w['intro'])}</p>", _head(w)]
    for v in views:
        school_day = v.extra.get("real_length_load") or {}
        if school_day:
            rows += _rows(v.name, school_day, catalogue, w, t, lang, link)
        else:
            rows.append(f'<tr><td>{escape(v.name)}</td><td colspan="11" class="muted">'
                        f'{escape(w["none"].format(suite=v.name))}</td></tr>')
    rows.append("</table>")
    return Section("school-day", w["title"], "".join(rows), order=58)


def _any_prf(ctx) -> bool:
    return any(r.service_level.get("profile") for r in ctx["catalogue"].requirements.values())


def suite_section(ctx) -> Section | None:
    view = ctx.get("view")
    if view is None or not _any_prf(ctx):
        return None
    w, t, lang, catalogue = _w(ctx), ctx.get("t") or {}, ctx.get("lang", "en"), ctx["catalogue"]
    try:
        school_day = kept.for_suite(view.name, catalogue, [r for r in runs.all_runs(Path(view.run.path).parent)])
    except Exception:  # a damaged run elsewhere never breaks this run's report
        return None
    if not school_day:
        return Section("school-day", w["title"], f'<p class="muted">{escape(w["none"].format(suite=view.name))}</p>',
                       order=58)
    here = Path(view.run.path)  # the report is in the run's folder, or in reports/ (link_base runs/<id>)
    link = _linker(next((d for d in (here, here.parent.parent) if os.path.relpath(here, d) == view.link_base),
                        here.parent.parent), here.parent)
    rows = [f"<p>{escape(w['suite_intro'])}</p>", _head(w), *_rows(view.name, school_day, catalogue, w, t, lang, link),
            "</table>"]
    return Section("school-day", w["title"], "".join(rows), order=58)
