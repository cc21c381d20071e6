"""Scoring with pandas: from scenario records to a verdict per requirement, a score per category,
the Must knock-outs and an overall score. Weights come only from the catalogue.

Rules (DESIGN.md, "Scoring"):
- a requirement whose capability the suite does not offer is `unsupported`;
- a manual assessment, where an evaluator wrote one, is the requirement's verdict; a `proposed` one
  (drafted from public sources) only when the evaluator chooses so (assessments_mode="all"),
  otherwise it is shown beside the verdict and not counted;
- otherwise its scenarios decide: all pass -> `pass`; some pass -> `partial` (credit = the share
  that passed); none pass -> `fail` if any failed, else `error`; only `unsupported` scenarios ->
  `unsupported`; no scenario -> `not-tested`;
- a category's score is the weighted share of credit over its requirements that were tested
  (`not-tested` ones are left out and shown as coverage instead); `fail`, `unsupported` and
  `error` count as 0;
- overall = the category scores weighted by the category weights, over the categories with a score;
- a Must requirement that is not `pass` is a knock-out;
- a requirement stays `not-tested` when its scenarios ran but could not judge it (a load stage smaller
  or shorter than the school day it stands for, a step with no API): it is *not verified*, counted
  apart (`not_verified`, with the reason) so a score never looks as if it covered it. Every category
  and the overall line say how many of their requirements were judged (SKIPPED_VERDICT below).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .verdicts import ERROR, FAIL, NOT_TESTED, PARTIAL, PASS, UNSUPPORTED

CREDIT = {PASS: 1.0, FAIL: 0.0, UNSUPPORTED: 0.0, ERROR: 0.0}
SKIPPED_VERDICT = "skipped"  # a scenario that ran but could not judge (recorded with its reason)
FEW = 0.5  # a category with fewer than this share of its requirements judged is marked as judged on few


@dataclass
class SuiteScore:
    suite: str
    requirements: pd.DataFrame  # one row per requirement, index = id
    categories: pd.DataFrame    # one row per category, index = id
    overall: float | None       # 0..1, None when nothing was tested
    knockouts: pd.DataFrame     # the Must requirements not passed
    meta: dict = field(default_factory=dict)

    @property
    def judged(self) -> int:
        """How many requirements have a verdict the score covers (anything but `not-tested`)."""
        return int((self.requirements["verdict"] != NOT_TESTED).sum())

    @property
    def not_verified(self) -> int:
        """How many requirements were tried but not judged (their scenarios ran and could not say)."""
        return int(self.requirements["not_verified"].sum()) if "not_verified" in self.requirements else 0

    @property
    def total(self) -> int:
        return len(self.requirements)

    @property
    def coverage(self) -> float:
        req = self.requirements
        tested = ((req["scenarios"] > 0) | req["manual"]).sum()
        return float(tested) / len(self.requirements) if len(self.requirements) else 0.0


def catalogue_frame(catalogue) -> pd.DataFrame:
    rows = [{"id": r.id, "category": r.category, "priority": r.priority, "weight": r.weight,
             "capability": r.capability, "assessment": r.assessment} for r in catalogue.requirements.values()]
    return pd.DataFrame(rows).set_index("id")


def requirement_verdicts(catalogue, offered: set[str], results: pd.DataFrame,
                         assessments: list[dict] | None = None, *, frame: pd.DataFrame | None = None,
                         assessments_mode: str = "confirmed") -> pd.DataFrame:
    """The verdict, credit and scenario counts of every requirement in the catalogue.

    assessments_mode: "confirmed" counts only confirmed manual assessments (the default), "all"
    counts proposed ones too. A proposed assessment that is not counted leaves the verdict to the
    scenarios (mostly `not-tested`) and is kept in `assessment_status`/`proposed_verdict`."""
    req = (frame if frame is not None else catalogue_frame(catalogue)).copy()
    if not {"requirement", "verdict"} <= set(results.columns):
        results = pd.DataFrame(columns=["requirement", "verdict"])
    res = results[results["requirement"].notna() & results["verdict"].isin(list(CREDIT))]
    counts = pd.crosstab(res["requirement"], res["verdict"]) if len(res) else pd.DataFrame()
    counts = counts.reindex(index=req.index, columns=list(CREDIT), fill_value=0).fillna(0).astype(int)
    n = counts[PASS] + counts[FAIL] + counts[ERROR]
    passed = counts[PASS]
    verdict = np.select(
        [n.eq(0) & counts[UNSUPPORTED].gt(0), n.eq(0), passed.eq(n), passed.gt(0), counts[FAIL].gt(0)],
        [UNSUPPORTED, NOT_TESTED, PASS, PARTIAL, FAIL], default=ERROR)
    req["verdict"] = verdict
    req["credit"] = np.where(n.gt(0), passed / n.where(n.gt(0), 1), 0.0)
    req["scenarios"] = n + counts[UNSUPPORTED]
    req["passed"] = passed
    req["manual"] = False
    req["note"] = ""
    req["assessment_status"] = ""  # confirmed | proposed, where the suite has an assessment
    req["proposed_verdict"] = ""   # the verdict of a proposed assessment that was not counted
    lacking = ~req["capability"].isin(list(offered))
    req.loc[lacking, ["verdict", "credit", "note"]] = [UNSUPPORTED, 0.0, "capability not offered"]
    for a in assessments or []:
        rid = a["requirement"]
        if rid not in req.index:
            continue
        v = a["verdict"]
        status = a.get("status", "confirmed")
        req.loc[rid, "assessment_status"] = status
        if status != "confirmed" and assessments_mode != "all":
            req.loc[rid, "proposed_verdict"] = v
            continue
        credit = {PASS: 1.0, PARTIAL: float(a.get("share", 0.5))}.get(v, 0.0)
        req.loc[rid, ["verdict", "credit", "manual", "note"]] = [v, credit, True, a.get("reason") or a.get("comment", "")]
    req.loc[req["verdict"] == NOT_TESTED, "credit"] = np.nan
    # tried but not judged: scenarios that ran and could not say (a load stage smaller or shorter than the
    # school day its requirement names); shown apart from `not-tested` so no score looks as if it covered them
    tried = results[results["requirement"].notna() & (results["verdict"] == SKIPPED_VERDICT)]
    if "message" not in tried:
        tried = tried.assign(message="")
    reasons = tried.groupby("requirement")["message"].first() if len(tried) else pd.Series(dtype="object")
    req["not_verified"] = (req["verdict"] == NOT_TESTED) & req.index.isin(reasons.index)
    req["not_verified_reason"] = [str(reasons.get(rid, "") or "") if nv else ""
                                  for rid, nv in zip(req.index, req["not_verified"])]
    return req


def category_scores(catalogue, req: pd.DataFrame) -> pd.DataFrame:
    tested = req[req["verdict"] != NOT_TESTED]
    weighted = (tested["credit"] * tested["weight"]).groupby(tested["category"]).sum()
    weights = tested["weight"].groupby(tested["category"]).sum()
    cats = pd.DataFrame(index=pd.Index(list(catalogue.categories), name="category"))
    cats["weight"] = [catalogue.categories[c]["weight"] for c in cats.index]
    cats["score"] = (weighted / weights.where(weights > 0)).reindex(cats.index)
    cats["requirements"] = req.groupby("category").size().reindex(cats.index, fill_value=0)
    cats["tested"] = tested.groupby("category").size().reindex(cats.index, fill_value=0)
    for v in (PASS, PARTIAL, FAIL, UNSUPPORTED, ERROR, NOT_TESTED):
        cats[v] = (req["verdict"] == v).groupby(req["category"]).sum().reindex(cats.index, fill_value=0)
    # how many requirements the score rests on, and how many were tried but not judged
    cats["judged"] = cats["tested"]
    nv = req["not_verified"] if "not_verified" in req else pd.Series(False, index=req.index)
    cats["not_verified"] = nv.groupby(req["category"]).sum().reindex(cats.index, fill_value=0).astype(int)
    cats["few"] = cats["judged"] < FEW * cats["requirements"]
    return cats


def overall_score(cats: pd.DataFrame) -> float | None:
    scored = cats[cats["score"].notna()]
    if scored.empty or scored["weight"].sum() == 0:
        return None
    return float((scored["score"] * scored["weight"]).sum() / scored["weight"].sum())


def score(catalogue, suite: str, offered: set[str], results: pd.DataFrame, assessments: list[dict] | None = None,
          *, frame: pd.DataFrame | None = None, meta: dict | None = None,
          assessments_mode: str = "confirmed") -> SuiteScore:
    offered = set(offered) | catalogue.implicit_capabilities
    req = requirement_verdicts(catalogue, offered, results, assessments, frame=frame,
                               assessments_mode=assessments_mode)
    cats = category_scores(catalogue, req)
    knockouts = req[(req["priority"] == "must") & (req["verdict"] != PASS)]
    # what the suite did not do first, what nobody has checked yet last; catalogue order within
    order = {FAIL: 0, PARTIAL: 1, UNSUPPORTED: 2, ERROR: 3, NOT_TESTED: 4}
    knockouts = knockouts.iloc[sorted(range(len(knockouts)), key=lambda i: order.get(knockouts["verdict"].iloc[i], 5))]
    return SuiteScore(suite, req, cats, overall_score(cats), knockouts, {**(meta or {}), "assessments": assessments_mode})
