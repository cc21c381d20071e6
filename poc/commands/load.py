"""Load a suite like a school day: a profile (morning, deadline, steady) at a school size (XS..XL),
or a capacity search, with Locust; optionally as a master with N local workers.

Starts the suite (or attaches to --url), sends load only to the hosts it declares, writes
reports/runs/<run-id>/load/<stage>/ (Locust's CSV statistics and history, summary.json) and
prints the figures against the service levels in the catalogue. Exit codes: 0 done, 2 bad input
or refused, 3 the suite did not start."""

from __future__ import annotations

import json
import time

from .. import runs, suites
from ..errors import PocError
from ..lifecycle import deployment
from ..load import compare, data, results, runner, safety
from ..redact import export_to_env, redact
from ._common import add_catalogue, load_catalogue


def add_arguments(p):
    p.add_argument("--suite", default="baseline", help="the suite to load (default: baseline)")
    p.add_argument("--profile", default="morning", help="morning | deadline | steady (default: morning)")
    p.add_argument("--size", default="S", help="school size XS | S | M | L | XL (default: S)")
    p.add_argument("--duration", type=float, default=120.0,
                   help="seconds the profile is squeezed into (default 120; --real-time for its real length)")
    p.add_argument("--real-time", action="store_true", help="run the profile at its real length")
    p.add_argument("--capacity", action="store_true", help="search for the capacity instead of running a profile")
    p.add_argument("--requirement", default=None,
                   help="the service level the capacity search keeps (default: the one with min_users, PRF-03)")
    p.add_argument("--step", type=int, default=50, help="capacity search: users added per step (default 50)")
    p.add_argument("--hold", type=float, default=10.0, help="capacity search: seconds each step is held (default 10)")
    p.add_argument("--start", type=int, default=0, help="capacity search: users in the first step (default: one step)")
    p.add_argument("--max-users", type=int, default=3000, help="capacity search: stop here (default 3000)")
    p.add_argument("--workers", type=int, default=0, help="Locust workers on this machine beside the master")
    p.add_argument("--netns", type=int, default=0, metavar="N",
                   help="the master, N workers and the suite each on a test host of its own (network namespaces "
                        "joined by virtual links, poc/load/hosts.py; root); a local suite, bounded run")
    p.add_argument("--url", help="load a running deployment at this URL (external mode; its hosts only)")
    p.add_argument("--no-provision", action="store_true", help="use existing accounts (external mode)")
    add_catalogue(p)


def capacity_plan(args, catalogue) -> tuple[dict, str]:
    rid = args.requirement or next((r.id for r in catalogue.requirements.values()
                                    if r.service_level.get("min_users")), None)
    if rid not in catalogue.requirements or not catalogue.requirements[rid].service_level:
        raise PocError(f"--requirement {rid!r} names no requirement with a service_level in the catalogue")
    level = catalogue.requirements[rid].service_level
    hold, settle = max(args.hold, 9.0 if args.workers else 3.0), 4.0 if args.workers else 2.0
    steps = max(1, (args.max_users - (args.start or args.step)) // args.step + 1)
    plan = {"step": args.step, "hold": hold, "settle": settle, "start": args.start, "max_users": args.max_users,
            "p95_ms": float(level["p95_ms"]), "error_rate": float(level["error_rate"]),
            "spawn_rate": float(max(10, args.step)), "max_seconds": min(safety.max_seconds(), steps * (hold + settle + 15))}
    return plan, rid


def run(args) -> int:
    catalogue = load_catalogue(args)
    suite = suites.load(args.suite, capabilities=set(catalogue.capabilities))
    if args.workers < 0 or args.workers > 64:
        raise PocError("--workers must be between 0 and 64")
    if args.netns:  # master, workers and suite on hosts of their own: the test network of namespaces
        from ..load import multihost
        summary = multihost.run(suite.name, profile=args.profile, size=args.size, workers=args.netns,
                                seconds=data.profile(args.profile).seconds if args.real_time else args.duration)
        print(redact(report_text(summary, catalogue)))
        print(multihost.describe(summary))
        return 0
    if args.capacity:
        plan, rid = capacity_plan(args, catalogue)
        stage_args = {"name": "capacity", "profile": "steady", "size": args.size, "capacity": plan}
    else:
        data.profile(args.profile), data.size(args.size)
        seconds = data.profile(args.profile).seconds if args.real_time else args.duration
        stage_args = {"name": args.profile, "profile": args.profile, "size": args.size, "duration": seconds}
    run_dir = runs.runs_dir() / runs.new_run_id(f"{suite.name}-load")
    stage = runner.Stage(folder=run_dir / "load" / stage_args["name"], workers=args.workers, **stage_args)
    safety.check_bounds(stage.users, stage.seconds)  # refused before anything starts
    (run_dir / "load").mkdir(parents=True)
    dep = deployment(suite, run_dir, url=args.url, provision=not args.no_provision, progress=print)
    print(f"load {suite.name}: {describe(stage)}; run {run_dir.name}", flush=True)
    try:
        dep.up()
        state_path = dep.write_state()
        export_to_env()
        meta = {"suite": suite.name, "version": dep.version, "started": runs.now(), "stage": runner.stage_dict(stage)}
        runs.write_json(run_dir / "load" / "run.json", meta)
        t0 = time.monotonic()
        summary = runner.run(stage, state_path, hosts=dep.hosts(), progress=print)
    finally:
        print(f"stopping {suite.name} ...", flush=True)
        dep.down()
    summary["suite"] = suite.name
    (stage.folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(redact(report_text(summary, catalogue)))
    previous = compare.previous_comparable(summary, runs.runs_dir())
    if previous is not None:
        print(compare.describe(previous, summary))
    print(f"results in {stage.folder} ({time.monotonic() - t0:.0f} s)")
    return 0


def describe(stage) -> str:
    if stage.capacity is not None:
        c = stage.capacity
        return (f"capacity search, steps of {c['step']} users held {c['hold']:.0f} s, up to {c['max_users']} users, "
                f"p95 ≤ {c['p95_ms']:.0f} ms and errors ≤ {c['error_rate']:.1%}")
    size = data.size(stage.size)
    return (f"profile {stage.profile}, size {stage.size} ({size.pupils:,} pupils + {size.teachers:,} teachers), "
            f"{stage.seconds:.0f} s, {stage.workers or 'no'} workers")


def report_text(summary: dict, catalogue) -> str:
    total = summary.get("total") or {}
    lines = [f"{summary['stage']}: {total.get('requests', 0):,} requests, {summary.get('rps', 0):.1f} req/s, "
             f"p50 {total.get('p50_ms') or 0:.0f} ms, p95 {total.get('p95_ms') or 0:.0f} ms, "
             f"errors {summary.get('error_rate', 0):.2%}, peak {summary.get('peak_users', 0):,} users, "
             f"generator CPU peak {summary.get('generator_cpu_peak', 0):.0f} %"]
    if summary.get("left_out"):
        lines.append("left out (capability missing): " + "; ".join(summary["left_out"]))
    c = summary.get("connections")
    if c:
        lines.append(f"new connections: {c.get('opened', 0):,} for {summary.get('peak_users', 0):,} users "
                     f"({c.get('per_user', 0):.2g} per user) and {c.get('requests', 0):,} requests; one generator "
                     f"process holds up to {summary.get('users_per_process', 0):,} users here "
                     f"(open files {summary.get('open_files', 0):,})")
    if summary.get("capacity"):
        lines.append(summary["capacity"]["text"])
        for s in summary["capacity"]["steps"]:
            lines.append(f"  {s['users']:>6} users: {s['rps']:8.1f} req/s, p95 {s['p95_ms'] or 0:6.0f} ms, "
                         f"errors {s['failures']}/{s['requests']} {'ok' if s['ok'] else 'BROKEN: ' + s['reason']}")
    else:
        for r in catalogue.requirements.values():
            level = r.service_level
            if level.get("profile") == summary["profile"]:
                verdict, why = results.judge(summary, level)
                lines.append(f"  {r.id} {verdict:<12} {why}")
    if summary.get("exit_code") not in (0, 1):
        lines.append(f"warning: Locust ended with exit code {summary.get('exit_code')}; see "
                     f"{summary.get('folder', 'locust.out')}")
    return "\n".join(lines)
