"""Locust's CSV files (<prefix>_stats.csv, _stats_history.csv, _failures.csv) read into a summary,
and a summary checked against a service level from the catalogue."""

from __future__ import annotations

import csv
import math
from pathlib import Path


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def stats(prefix: Path) -> dict:
    """The Aggregated row and one row per action from <prefix>_stats.csv."""
    rows = read_csv(Path(f"{prefix}_stats.csv"))
    actions, total = [], None
    for r in rows:
        item = {"type": r.get("Type", ""), "name": r.get("Name", ""), "requests": int(_num(r["Request Count"]) or 0),
                "failures": int(_num(r["Failure Count"]) or 0), "p50_ms": _num(r.get("50%")),
                "p95_ms": _num(r.get("95%")), "p99_ms": _num(r.get("99%")), "max_ms": _num(r.get("Max Response Time")),
                "rps": _num(r.get("Requests/s"))}
        if r.get("Name") == "Aggregated":
            total = item
        else:
            actions.append(item)
    return {"total": total, "actions": actions}


def history(prefix: Path) -> list[dict]:
    """One point a second: time from the start, users, requests/s, p50 and p95 (Locust's last-10-s window)."""
    out, t0 = [], None
    for r in read_csv(Path(f"{prefix}_stats_history.csv")):
        if r.get("Name") != "Aggregated":
            continue
        ts = _num(r.get("Timestamp"))
        if ts is None:
            continue
        t0 = ts if t0 is None else t0
        out.append({"t": ts - t0, "users": int(_num(r.get("User Count")) or 0), "rps": _num(r.get("Requests/s")) or 0.0,
                    "p50_ms": _num(r.get("50%")) or 0.0, "p95_ms": _num(r.get("95%")) or 0.0,
                    "requests": int(_num(r.get("Total Request Count")) or 0),
                    "failures": int(_num(r.get("Total Failure Count")) or 0)})
    return out


def failures(prefix: Path) -> list[dict]:
    return [{"method": r.get("Method", ""), "name": r.get("Name", ""), "error": r.get("Error", "")[:300],
             "occurrences": int(_num(r.get("Occurrences")) or 0)} for r in read_csv(Path(f"{prefix}_failures.csv"))]


def check(summary: dict, level: dict) -> list[str]:
    """What breaks the service level (p95_ms, error_rate, min_users); empty when it holds."""
    total = summary.get("total") or {}
    out = []
    if not total or not total.get("requests"):
        return ["no request was made"]
    p95 = total.get("p95_ms")
    if "p95_ms" in level and p95 is not None and p95 > float(level["p95_ms"]):
        out.append(f"p95 {p95:.0f} ms is above {float(level['p95_ms']):.0f} ms")
    rate = summary.get("error_rate", 0.0)
    if "error_rate" in level and rate > float(level["error_rate"]):
        out.append(f"error rate {rate:.2%} is above {float(level['error_rate']):.2%}")
    h = summary.get("handins") or {}
    if h.get("lost_count"):  # an acknowledged hand-in that is not there afterwards: lost, whatever the level
        out.append(f"{h['lost_count']:,} of {h['checked']:,} acknowledged hand-ins were lost (e.g. {h['lost'][0]})")
    return out


PASS, FAIL, ERROR, NOT_VERIFIED = "pass", "fail", "error", "not-verified"
OTHERS_MAX_PCT = 25.0  # a breach on a machine this busy with other work than the suite and the generators is an error
REACHED = 0.9  # a stage that holds the level passes only if its peak reached this share of its size's users


def judge(summary: dict, level: dict) -> tuple[str, str]:
    """A stage's verdict on one service level: pass, fail, error or not-verified, with the reason.

    A stage smaller than the level's size (or with fewer users than its min_users) that holds the
    level has not verified it: it is `not-verified`, never `pass`. One that breaks the level at a
    smaller size fails it: the suite cannot hold even less. But a stage squeezed into a fraction of
    the profile's real length starts its users far faster than a school day does, so a breach there
    proves nothing about the day: it is `not-verified` too, and says to run the profile at its length.
    """
    from . import data
    where = (f"{summary.get('profile')} at size {summary.get('size')} ({summary.get('peak_users', 0):,} users, "
             f"{summary.get('duration_s', 0):.0f} s")
    if summary.get("time_factor") and summary["time_factor"] < 0.999:
        where += f", the profile squeezed to {summary['time_factor']:.3g} of its length"
    where += ")"
    total = summary.get("total") or {}
    if summary.get("exit_code") not in (0, 1) or not total.get("requests"):
        return ERROR, f"the load stage did not run through (exit code {summary.get('exit_code')}); see its locust.out"
    if summary.get("generator_saturated"):
        return ERROR, (f"the load generator was saturated ({summary.get('generator_cpu_peak')} % CPU): the figures "
                       f"measure the harness, not the suite; {where}")
    figures = f"p95 {total.get('p95_ms') or 0:.0f} ms, error rate {summary.get('error_rate', 0):.2%}, {where}"
    h = summary.get("handins") or {}
    if h.get("checked") and not h.get("lost_count"):
        figures += f"; all {h['checked']:,} acknowledged hand-ins read back intact"
    broken = check(summary, level)
    squeezed = bool(summary.get("time_factor")) and summary["time_factor"] < 0.999
    host = summary.get("host") or {}
    if broken and (host.get("others_pct") or 0) > OTHERS_MAX_PCT:
        return ERROR, ("; ".join(broken) + f" ({figures}), but other work kept the machine {host['others_pct']:.0f} % "
                       f"busy besides the suite ({host.get('suite_pct', 0):.0f} %) and the generators "
                       f"({host.get('generators_pct', 0):.0f} %): a breach measured so says nothing reliable about "
                       "the suite; run the stage on a quiet machine")
    if broken and squeezed:
        return NOT_VERIFIED, ("; ".join(broken) + f" in a squeezed stage ({figures}), harsher than the school day "
                              "it stands for: run the profile at its real length to judge (make load ... "
                              "DURATION=<profile length>, or POC_LOAD_STAGE_SECONDS)")
    if broken:
        return FAIL, "; ".join(broken) + f" ({figures})"
    short = []
    planned, peak = summary.get("planned_users"), summary.get("peak_users", 0)
    if planned and peak < REACHED * planned:  # the curve never brought in the school it stands for
        short.append(f"only {peak:,} of its {planned:,} users were reached")
    if level.get("size") and data.size_rank(summary.get("size", "XS")) < data.size_rank(level["size"]):
        short.append(f"size {level['size']} ({data.size(level['size']).users:,} users) was not run")
    if level.get("min_users") and summary.get("peak_users", 0) < int(level["min_users"]):
        short.append(f"{int(level['min_users']):,} concurrent users were not reached")
    if short:
        return NOT_VERIFIED, f"held the service level at a smaller load ({figures}), but " + " and ".join(short)
    return PASS, figures
