"""Provision a generated school on a suite: start it (or reach a running deployment), create the
classes, teachers and pupils, check that a sample of them can sign in, and stop (or clean up) again.

The school comes from poc/school.py: the same --size and --seed give the same school on every
suite (XS: one class of 25 pupils and 2 teachers; S: 24 classes, 600 pupils, 48 teachers). It is
made through poc/school_provisioning.py: a local suite through its launcher's
``provision_school(school)`` (SOGo: rows in its SQL user table; baseline: Radicale's htpasswd file and
WsgiDAV; Kolibri: its REST API); a running deployment (``--url``, external mode, as evaluate takes
it: the admin's password in the variable its suite.yaml names) through its provisioning adapter
(Nextcloud: users and one group per class over OCS; Moodle: users, one course per class and the
enrolments over its web services, in batches), after which everything made is removed again (the
school, and the run's test accounts) unless --keep. The passwords are random and live only in this
process. A local suite is always stopped at the end, by the PIDs the harness started.

Writes reports/provision/<id>/summary.json (counts, timings, the sampled sign-ins, what was left
behind; no password) and the servers' logs beside it. Exit codes: 0 provisioned and every sampled
account signed in, 1 a sampled account could not sign in, 2 bad input, 3 the suite did not start or
provisioning failed, 5 the clean-up could not remove something it made on the deployment (each item
named with how to remove it), 130 interrupted."""

from __future__ import annotations

import secrets
import signal
import sys
import time
from pathlib import Path

from .. import runs, school as school_mod, school_provisioning, suites
from ..errors import PocError, SuiteStartError
from ..lifecycle import compose, deployment, sigterm_as_interrupt
from ..redact import add as add_secret, redact, redact_logs

CHECK_CAPABILITIES = ("learning", "provisioning")   # adapters that may offer password_accepted()
DAV_CAPABILITIES = ("calendar", "contacts", "files")
EXIT_LEFT_BEHIND = 5  # as evaluate: the clean-up could not remove what it made on the deployment


def add_arguments(p):
    p.add_argument("--suite", required=True, help="the suite to provision (a folder under suites/)")
    p.add_argument("--size", default="XS", type=str.upper, choices=sorted(school_mod.SIZES),
                   help="XS: 1 class, 25 pupils, 2 teachers; S: 24 classes, 600 pupils, 48 teachers (default XS)")
    p.add_argument("--seed", type=int, default=1, help="the school's seed: the same seed gives the same school")
    p.add_argument("--sample", type=int, default=5, help="how many accounts to sign in with afterwards (default 5)")
    p.add_argument("--url", help="provision a running deployment at this URL (external mode, as evaluate; the "
                                 "admin's password in the variable the suite's suite.yaml names)")
    p.add_argument("--keep", action="store_true",
                   help="leave the school (and the run's test accounts) on the deployment; a later provision of "
                        "the same size and seed removes them first")


def provision(suite: suites.Suite, school, out_dir: Path, *, sample: int = 5, progress=print,
              url: str | None = None, keep: bool = False) -> dict:
    """Start `suite` (or reach it at `url`), provision `school`, check `sample` sign-ins, remove the
    school again from a running deployment (unless `keep`), stop; the summary (no passwords)."""
    external = bool(url) or suite.mode != "local"
    if suite.mode == "compose" and not url:
        problem = compose.engine_problem()
        if problem:
            raise SuiteStartError(f"suite {suite.name!r} runs under Docker Compose, but {problem}.\n"
                                  + compose.external_hint(suite.name).replace("make evaluate", "make provision"))
    add_secret(*(p.password for p in school.people))
    summary: dict = {"suite": suite.name, "mode": "external" if url else suite.mode,
                     "school": {"name": school.name, "size": school.size, "seed": school.seed,
                                "fingerprint": school.fingerprint(), **school.counts()},
                     "timings": {}, "sign_in": [], "left_behind": [], "status": "started"}
    timings = summary["timings"]
    dep = deployment(suite, out_dir, url=url, keep=keep, progress=progress)
    previous = signal.signal(signal.SIGTERM, sigterm_as_interrupt)
    started_pids: dict[str, int] = {}
    provisioned = False
    t_all = time.monotonic()
    try:
        t0 = time.monotonic()
        dep.up()
        started_pids = dict(dep.pids())
        timings["start_s"] = round(time.monotonic() - t0, 2)
        summary["version"] = dep.version
        summary["endpoints"] = dict(dep.endpoints)
        why = school_provisioning.supported(dep)
        if why:
            raise PocError(f"{suite.name} cannot be provisioned with a school: {why}")
        progress(f"{suite.name} is up in {timings['start_s']:.1f} s ({dep.version}); provisioning "
                 f"{school.name}: {_n(len(school.classes), 'class', 'classes')}, {_n(len(school.teachers), 'teacher', 'teachers')}, "
                 f"{_n(len(school.pupils), 'pupil', 'pupils')} ...")
        t0 = time.monotonic()
        summary["provisioned"] = school_provisioning.provision(dep, school, progress=progress)
        provisioned = True
        started_pids.update(dep.pids())  # a server restarted while provisioning has a new PID
        timings["provision_s"] = round(time.monotonic() - t0, 2)
        users = len(school.people)
        progress(f"provisioned in {timings['provision_s']:.1f} s ({users / max(timings['provision_s'], 0.01):.1f} "
                 f"users/s): {_counts_line(summary['provisioned'])}")
        t0 = time.monotonic()
        if external:
            progress("signing a sample in (no wrong password is tried on a running deployment: each refusal slows "
                     "every later sign-in from this address, e.g. Nextcloud's brute-force throttle) ...")
        for person in school.sample(sample):
            summary["sign_in"].append(check_sign_in(dep, person, wrong_password=not external))
        timings["verify_s"] = round(time.monotonic() - t0, 2)
        summary["status"] = "provisioned"
    except KeyboardInterrupt:
        summary["status"] = "interrupted"
        raise
    except PocError as exc:
        summary["status"], summary["message"] = "failed", redact(str(exc))
        raise
    except Exception as exc:  # a suite that answered something unexpected while provisioning
        summary["status"], summary["message"] = "failed", redact(f"{type(exc).__name__}: {exc}")
        raise SuiteStartError(f"provisioning {suite.name} failed: {summary['message']}") from exc
    finally:
        try:
            if external and provisioned:
                t0 = time.monotonic()
                if keep:
                    progress(f"KEEP: school {school.name} stays on {dep.url} ({len(school.people)} users); "
                             "a later provision of the same size and seed removes it first")
                else:
                    progress(f"removing school {school.name} from {dep.url} ...")
                    left = school_provisioning.remove(dep, school, progress=progress)
                    summary["left_behind"] += [{"what": item, "why": "", "how": ""} for item in left]
                timings["remove_s"] = round(time.monotonic() - t0, 2)
        finally:
            t0 = time.monotonic()
            try:
                progress(f"{'cleaning up on' if external else 'stopping'} {suite.name} ...")
                dep.down()
            finally:
                summary["left_behind"] += [{k: redact(str(v)) for k, v in item.items()}
                                           for item in getattr(dep, "left_behind", []) or []]
                timings["stop_s"] = round(time.monotonic() - t0, 2)
                timings["total_s"] = round(time.monotonic() - t_all, 2)
                summary["left_running"] = [f"{n} (pid {pid})" for n, pid in started_pids.items() if _alive(pid)]
                signal.signal(signal.SIGTERM, previous)
                redact_logs(out_dir / "evidence" / "logs")
                runs.write_json(out_dir / "summary.json", summary)
    return summary


def check_sign_in(dep, person, *, wrong_password: bool = True) -> dict:
    """Sign `person` in through the suite's own adapters: the right password must let them in;
    whether a wrong one is refused is recorded too (it is IAM-08's finding, not this check's), unless
    `wrong_password` is False (a running deployment: every refused password slows the harness's later
    sign-ins from this address, e.g. Nextcloud's brute-force throttle)."""
    from ..protocols import adapter
    from ..protocols._http import Session

    suite = dep.suite
    wrong = "forkert-" + secrets.token_urlsafe(9)
    row = {"username": person.username, "role": person.role, "via": None, "signed_in": None,
           "wrong_password_refused": None}
    for cap in CHECK_CAPABILITIES:
        if cap not in suite.capabilities:
            continue
        client = adapter(suite.capabilities[cap]["protocol"])(dep.url_for(cap, person), person, suite)
        try:
            if not callable(getattr(client, "password_accepted", None)):
                continue
            row.update(via=cap, signed_in=client.password_accepted(person.password))
            if wrong_password:
                row["wrong_password_refused"] = not client.password_accepted(wrong)
            if row["signed_in"] and callable(getattr(client, "my_classes", None)):
                seen = {c.name for c in client.my_classes()}
                row["sees_own_classes"] = set(person.classes) <= seen
            return row
        finally:
            getattr(client, "close", lambda: None)()
    for cap in DAV_CAPABILITIES:
        if cap not in suite.capabilities:
            continue
        url = dep.url_for(cap, person)

        def status(password: str) -> int:
            with Session(person.username, password, raise_5xx=False) as s:
                return s.request("PROPFIND", url, headers={"Depth": "0"}).status_code

        row.update(via=cap, signed_in=status(person.password) == 207)
        if wrong_password:
            row["wrong_password_refused"] = status(wrong) == 401
        return row
    return row


def run(args) -> int:
    try:
        suite = suites.load(args.suite)
        suites.refuse_reference(suite)  # a reference column has no server to provision
        reserved = {spec["username"] for spec in suite.config["accounts"].values()}
        school = school_mod.build(args.size, args.seed, reserved=reserved)
    except ValueError as exc:
        raise PocError(str(exc)) from None
    out_dir = runs.reports_dir() / "provision" / runs.new_run_id(suite.name)
    out_dir.mkdir(parents=True)
    print(f"provisioning {suite.name} with school {school.name} (size {school.size}, seed {school.seed}, "
          f"fingerprint {school.fingerprint()}); output in {out_dir}", flush=True)
    summary = provision(suite, school, out_dir, sample=args.sample, progress=lambda t: print(t, flush=True),
                        url=args.url, keep=args.keep)
    t = summary["timings"]
    removal = f", removal {t['remove_s']} s" if "remove_s" in t else ""
    print(f"timings: start {t.get('start_s', '-')} s, provision {t.get('provision_s', '-')} s, "
          f"sign-in checks {t.get('verify_s', '-')} s{removal}, stop {t.get('stop_s', '-')} s, total {t.get('total_s')} s")
    failed = [r for r in summary["sign_in"] if r["signed_in"] is False]
    unchecked = [r for r in summary["sign_in"] if r["signed_in"] is None]
    for r in summary["sign_in"]:
        seen = {True: ", sees own classes", False: ", does NOT see own classes"}.get(r.get("sees_own_classes"), "")
        verdict = {True: "signed in", False: "could NOT sign in", None: "not checked (no adapter can)"}[r["signed_in"]]
        wrong = {True: "", False: "; a WRONG password was accepted too", None: ""}[r["wrong_password_refused"]]
        print(f"  {r['role']:<7} {r['username']:<30} {verdict}{' via ' + r['via'] if r['via'] else ''}{seen}{wrong}")
    if summary["left_running"]:
        print("warning: still running after the stop: " + ", ".join(summary["left_running"]))
    lax = [r for r in summary["sign_in"] if r["wrong_password_refused"] is False]
    if lax:
        print(f"note: {len(lax)} of {len(summary['sign_in'])} sampled accounts also signed in with a wrong password "
              f"(the suite's behaviour; the scenarios report it under IAM-08)")
    print(f"{summary['status']}: {_counts_line(summary.get('provisioned', {}))}; sign-in {len(summary['sign_in']) - len(failed) - len(unchecked)}"
          f"/{len(summary['sign_in'])} ok; summary in {out_dir / 'summary.json'}")
    for item in summary["left_behind"]:
        why = f" ({item['why']})" if item.get("why") else ""
        how = f"; to remove it: {item['how']}" if item.get("how") else ""
        print(f"error: clean-up left {item['what']} on the deployment{why}{how}", file=sys.stderr)
    if summary["left_running"]:
        return 3
    if summary["left_behind"]:
        return EXIT_LEFT_BEHIND
    return 1 if failed else 0


def _counts_line(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if k != "note") + (
        f" ({counts['note']})" if counts.get("note") else "")


def _n(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
