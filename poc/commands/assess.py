"""The checklist of a suite's manual requirements, for the people who must confirm them.

Lists every requirement only a person can judge (assessment: manual in requirements.yaml) with its
acceptance criteria (da and en), what is proposed (verdict, reason, who, sources) or confirmed, and
what is still open and why. `--write FILE` writes a fillable YAML skeleton to confirm from: fill in
verdict, who, when, source and reason, then move the entries into suites/<suite>/assessments.yaml
(replacing the proposed ones) and run `make validate`; an entry still missing its who or source is
refused there. Exit codes: 0 done, 2 bad input (unknown suite, a malformed assessments file, a file
that exists without --force)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import assessments, runs, suites
from ..errors import PocError
from ._common import add_catalogue, load_catalogue


def add_arguments(p):
    p.add_argument("suite", help="the suite (a folder under suites/), e.g. baseline or google-workspace")
    p.add_argument("--lang", choices=("da", "en"), default=None,
                   help="acceptance criteria in this language only (default: both)")
    p.add_argument("--write", metavar="FILE", type=Path,
                   help="also write a fillable YAML skeleton for the evaluator (- for standard output)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_catalogue(p)


def rows(suite, catalogue, found: assessments.AssessmentFile) -> list[dict]:
    """One row per manual requirement: its state for this suite (confirmed, proposed, open, unsupported,
    not assessed) with the assessment or the open item."""
    offered = set(suite.capabilities) | catalogue.implicit_capabilities
    by_req, opened = found.by_requirement(), found.open_by_requirement()
    out = []
    for r in assessments.manual_requirements(catalogue):
        a, o = by_req.get(r.id), opened.get(r.id)
        if a is not None:
            state = a.get("status", assessments.CONFIRMED)
        elif o is not None:
            state = "open"
        elif not suite.is_reference and r.capability not in offered:
            state = "unsupported"
        else:
            state = "not assessed"
        out.append({"requirement": r, "state": state, "assessment": a, "open": o})
    return out


def summary_line(suite, table: list[dict]) -> str:
    states = [row["state"] for row in table]
    proposed = [row["assessment"]["verdict"] for row in table if row["state"] == assessments.PROPOSED]
    by_verdict = ", ".join(f"{v} {proposed.count(v)}" for v in ("pass", "partial", "fail", "unsupported")
                           if proposed.count(v))
    return (f"{suite.name}: {len(table)} manual requirements: {states.count('confirmed')} confirmed, "
            f"{states.count('proposed')} proposed" + (f" ({by_verdict})" if by_verdict else "") +
            f", {states.count('open')} open, {states.count('unsupported')} unsupported (capability not offered), "
            f"{states.count('not assessed')} not assessed")


def checklist(suite, catalogue, table: list[dict], lang: str | None) -> str:
    langs = [lang] if lang else ["da", "en"]
    lines = [f"{suite.title('en')} ({suite.name}, mode {suite.mode})",
             f"assessments: {suite.folder / assessments.FILE}", ""]
    for row in table:
        r, a, o = row["requirement"], row["assessment"], row["open"]
        mark = {"confirmed": f"CONFIRMED {a['verdict'] if a else ''}", "proposed": f"PROPOSED {a['verdict'] if a else ''}",
                "open": "OPEN", "unsupported": "UNSUPPORTED", "not assessed": "NOT ASSESSED"}[row["state"]]
        lines.append(f"{r.id:<7} {r.priority.capitalize():<6} {r.title['en']}  [{mark.strip()}]")
        for code in langs:
            for criterion in r.acceptance.get(code, []):
                lines.append(f"    {code}: - {criterion}")
        if a:
            share = f" (share {a['share']:g})" if a.get("verdict") == "partial" and "share" in a else ""
            lines.append(f"    {a.get('status', 'confirmed')}: {a['verdict']}{share} - {a.get('reason') or a.get('comment', '')}")
            lines.append(f"      by {a['who']}, {a['when']}")
            for s in a.get("source", []):
                lines.append(f"      source: {assessments.source_text(s)}")
            if a.get("reason") and a.get("comment"):
                lines.append(f"      note: {a['comment']}")
            if a.get("status") == assessments.PROPOSED:
                lines.append("      to confirm: check it against the criteria above, then status: confirmed and who: "
                             "the people who confirmed it")
        elif o:
            lines.append(f"    open: {o['reason']}")
            for s in o.get("consulted", []):
                lines.append(f"      consulted: {assessments.source_text(s)}")
        elif row["state"] == "unsupported":
            lines.append(f"    the suite does not offer the capability {r.capability!r}: nothing to assess")
        else:
            lines.append("    no assessment and not listed as open yet")
        lines.append("")
    lines.append(summary_line(suite, table))
    return "\n".join(lines)


def _q(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def skeleton(suite, catalogue, table: list[dict]) -> str:
    """A YAML file for the evaluator: one fillable entry per manual requirement that needs a judgement."""
    out = [f"# Checklist of the manual requirements of {suite.name} ({suite.title('en')}),",
           f"# written {runs.now()[:10]} by `python -m poc assess {suite.name} --write`.",
           "#",
           "# For every requirement you have judged: set the verdict (pass | partial with a share | fail |",
           "# unsupported), who (the people who made the judgement, not the harness maintainers), when",
           "# (YYYY-MM-DD), source (what you judged from: a url or a document, with the day you read it) and",
           "# reason (one sentence against the acceptance criteria). Delete the entries you leave open.",
           f"# Then replace the matching entries in suites/{suite.name}/assessments.yaml with yours (and remove",
           "# them from its `open:` list) and run `make validate`: an entry without who or source is refused.",
           "assessments:"]
    for row in table:
        if row["state"] in ("unsupported", "confirmed"):
            continue
        r, a, o = row["requirement"], row["assessment"], row["open"]
        out.append("")
        out.append(f"  # {r.id} ({r.priority.capitalize()}) {r.title['en']} / {r.title['da']}")
        for code in ("da", "en"):
            for criterion in r.acceptance.get(code, []):
                out.append(f"  #   {code}: {criterion}")
        if a:
            out.append(f"  # proposed: {a['verdict']} - {a.get('reason', '')}")
            if a.get("comment"):
                out.append(f"  # note: {a['comment']}")
        elif o:
            out.append(f"  # open: {o['reason']}")
        out.append(f"  - requirement: {r.id}")
        out.append(f"    verdict: {_q(a['verdict'] if a else '')}    # pass | partial | fail | unsupported")
        if a and a.get("verdict") == "partial":
            out.append(f"    share: {a.get('share', 0.5)}")
        out.append("    status: confirmed")
        out.append('    who: ""             # the people who confirm it')
        out.append('    when: ""            # YYYY-MM-DD')
        sources = (a or {}).get("source") or (o or {}).get("consulted") or []
        if sources:
            out.append("    source:             # the sources of the proposal; keep what you used, add your own")
            for s in sources:
                key = "url" if s.get("url") else "document"
                out.append(f"      - {key}: {_q(s[key])}")
                if s.get("title"):
                    out.append(f"        title: {_q(s['title'])}")
                out.append(f"        read: {_q(s['read'])}")
        else:
            out.append("    source:")
            out.append('      - document: ""    # or url: https://...')
            out.append('        read: ""')
        out.append(f"    reason: {_q((a or {}).get('reason', ''))}")
    return "\n".join(out) + "\n"


def run(args) -> int:
    catalogue = load_catalogue(args)
    suite = suites.load(args.suite, capabilities=set(catalogue.capabilities))
    found = assessments.load_file(suite.folder, catalogue)
    table = rows(suite, catalogue, found)
    print(checklist(suite, catalogue, table, args.lang))
    if args.write:
        text = skeleton(suite, catalogue, table)
        if str(args.write) == "-":
            sys.stdout.write(text)
        else:
            if args.write.exists() and not args.force:
                raise PocError(f"{args.write} exists; use --force to overwrite it")
            args.write.parent.mkdir(parents=True, exist_ok=True)
            args.write.write_text(text, encoding="utf-8")
            print(f"skeleton: {args.write}")
    return 0
