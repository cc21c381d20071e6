"""Manual assessments (suites/<name>/assessments.yaml): verdicts no test can give.

Every assessment says who made it, from what and why: `who`, `when`, `source` (a url or a document,
with the day it was read) and a one-sentence `reason`. Its `status` is `proposed` (drafted from public
sources by the harness's maintainers; not counted in the score unless the evaluator chooses
ASSESSMENTS=all) or `confirmed` (made or confirmed by the people named in `who`). The file's `open`
list names the manual requirements the sources do not settle, and why. Validated like the catalogue:
a problem names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import schema, yamlfile
from .errors import ConfigError

FILE = "assessments.yaml"
PROPOSED, CONFIRMED = "proposed", "confirmed"
STATUSES = (PROPOSED, CONFIRMED)
# the scoring choice: only confirmed assessments count (the default), or proposed ones too
MODES = ("confirmed", "all")
DEFAULT_MODE = "confirmed"
# the `who` of a draft made from public sources; a confirmed assessment must name real people instead
DRAFTERS = "OS2skole PoC harness maintainers (draft from public sources)"


@dataclass
class AssessmentFile:
    """One suite's assessments.yaml: the assessments and the requirements left open."""

    path: Path | None = None
    assessments: list[dict] = field(default_factory=list)
    open: list[dict] = field(default_factory=list)

    def by_requirement(self) -> dict[str, dict]:
        return {a["requirement"]: a for a in self.assessments}

    def open_by_requirement(self) -> dict[str, dict]:
        return {o["requirement"]: o for o in self.open}


def mode(value: str | None) -> str:
    """The scoring choice, checked: `confirmed` (default) or `all`."""
    value = (value or DEFAULT_MODE).strip().lower()
    if value not in MODES:
        raise ConfigError([_plain(f"ASSESSMENTS={value!r}: choose one of {', '.join(MODES)}")])
    return value


def counts(a: dict, assessments_mode: str = DEFAULT_MODE) -> bool:
    """Whether assessment `a` enters the score under the evaluator's choice."""
    return a.get("status", CONFIRMED) == CONFIRMED or assessments_mode == "all"


def load_file(suite_folder: Path, catalogue) -> AssessmentFile:
    """Read and check suites/<name>/assessments.yaml; a missing file is an empty one."""
    path = Path(suite_folder) / FILE
    if not path.exists():
        return AssessmentFile()
    located = yamlfile.load(path)
    if located.data is None:
        return AssessmentFile(path)
    problems = schema.check(located, "assessments")
    for p in problems:  # the two refusals that keep a report honest say why
        if p.message == "'source' is required":
            p.message += ": name what the assessment was made from (a url or a document, with the day it was read)"
        elif p.message == "'who' is required":
            p.message += ": name who actually made the assessment"
    data = located.data if isinstance(located.data, dict) else {}
    entries = data.get("assessments") if isinstance(data.get("assessments"), list) else []
    opened = data.get("open") if isinstance(data.get("open"), list) else []
    seen: dict[str, int] = {}
    for i, a in enumerate(entries):
        if not isinstance(a, dict):
            continue
        rid = a.get("requirement")
        where = ("assessments", i, "requirement")
        if isinstance(rid, str):
            if rid not in catalogue.requirements:
                problems.append(located.problem(where, f"unknown requirement {rid!r}"))
            elif rid in seen:
                problems.append(located.problem(where, f"{rid} is assessed twice (first at line {seen[rid]})"))
            else:
                seen[rid] = located.line(("assessments", i))
        if a.get("verdict") == "partial" and "share" not in a:
            problems.append(located.problem(("assessments", i, "share"), "a partial verdict needs a share (0..1)"))
        if a.get("status") == CONFIRMED and isinstance(a.get("who"), str) and "draft from public sources" in a["who"]:
            problems.append(located.problem(("assessments", i, "who"), "a confirmed assessment names the people who "
                                            "confirmed it, not the maintainers' draft"))
        problems += _source_problems(located, ("assessments", i, "source"), a.get("source"))
    for i, o in enumerate(opened):
        if not isinstance(o, dict):
            continue
        rid = o.get("requirement")
        where = ("open", i, "requirement")
        if isinstance(rid, str):
            if rid not in catalogue.requirements:
                problems.append(located.problem(where, f"unknown requirement {rid!r}"))
            elif rid in seen:
                problems.append(located.problem(where, f"{rid} is listed as open but also assessed "
                                                       f"(line {seen[rid]})"))
        problems += _source_problems(located, ("open", i, "consulted"), o.get("consulted"))
    if problems:
        raise ConfigError(problems)
    return AssessmentFile(path, data["assessments"] or [], data.get("open") or [])


def load(suite_folder: Path, catalogue) -> list[dict]:
    """The assessments of a suite (proposed and confirmed alike); see load_file for the open ones."""
    return load_file(suite_folder, catalogue).assessments


def _source_problems(located, where: tuple, sources) -> list:
    out = []
    for j, s in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(s, dict) and ("url" in s) == ("document" in s):
            out.append(located.problem(where + (j,), "a source is either a url or a document (exactly one), "
                                                     "with the day it was read"))
    return out


def _plain(message: str):
    from .errors import Problem
    return Problem("ASSESSMENTS", None, None, message)


def manual_requirements(catalogue) -> list:
    """The catalogue's requirements that only a person can judge (assessment: manual)."""
    return [r for r in catalogue.requirements.values() if r.assessment == "manual"]


def source_text(s: dict) -> str:
    """One source in words: title, url or document, its own date and the day it was read."""
    where = s.get("url") or s.get("document", "")
    parts = [s["title"]] if s.get("title") else []
    parts.append(where)
    if s.get("dated"):
        parts.append(f"dated {s['dated']}")
    parts.append(f"read {s['read']}")
    return ", ".join(parts)


def report_context(view, catalogue) -> dict:
    """What a suite report shows about its manual requirements: the evaluator's choice (counted:
    confirmed only, or proposed too), the open items with their reasons, and the counts."""
    from .suites import suites_dir

    choice = view.score.meta.get("assessments", DEFAULT_MODE)
    open_items = getattr(view, "open_items", None)
    if open_items is None:  # a run's view: read the open items from the suite folder, as run_view reads the rest
        folder = Path(view.manifest["suite"].get("folder") or suites_dir() / view.name)
        try:
            open_items = load_file(folder, catalogue).open if folder.exists() else []
        except ConfigError:
            open_items = []
    manual = [r.id for r in manual_requirements(catalogue)]
    assessed = {a["requirement"]: a for a in view.assessments}
    opened = {o["requirement"]: o for o in open_items}
    status = [a.get("status", CONFIRMED) for a in view.assessments]
    unassessed = [rid for rid in manual if rid not in assessed and rid not in opened
                  and view.req.get(rid, {}).get("verdict") != "unsupported"]
    reference = view.manifest["suite"].get("reference") if view.manifest.get("status") == "reference" else None
    return {
        "choice": choice, "open": opened, "reference": reference,
        "counts": {"manual": len(manual), "confirmed": status.count(CONFIRMED), "proposed": status.count(PROPOSED),
                   "proposed_counted": status.count(PROPOSED) if choice == "all" else 0,
                   "open": len(opened), "unassessed": len(unassessed)},
    }
