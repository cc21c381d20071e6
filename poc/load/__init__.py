"""School-scale load: Locust users over the suite's own protocols, school-day profiles, a capacity
search and the results in the run folder. One concept per module:

    data.py        the data files in scenarios/load/ (sizes, profiles, behaviour)
    target.py      the suite a load run reaches: endpoints, accounts and declared hosts
    safety.py      what load may be sent where, and how much
    actions.py     the protocol requests the users make (WebDAV, CalDAV, OCS)
    profiles.py    the LoadTestShape classes: morning, deadline, steady
    capacity.py    the stepped ramp that stops where a service level breaks
    runner.py      Locust as a subprocess (local, or master + workers), bounded in users and time
    results.py     Locust's CSV files read into a summary, checked against a service level
    compare.py     which load runs are comparable, and p95 regressions between them
    calibration.py a server with a known limit, to check that the capacity search finds it
    leanhttp.py    the users' own HTTP client: one kept connection per host, cookies, TLS (Locust side)
    keepalive.py   Locust's own pool fixed (poll, not select); the stage's connections.json (Locust side)
    conncount.py   the connection counts and the idle check, shared by both clients
    school_accounts.py  each simulated user its own account: the school provisioned for a stage
    handins.py     no acknowledged hand-in lost: read back after the stage (PRF-02)
    limits.py      the open-files limit, and how many users one generator process can hold
    stages.py      which stage judges which service level: short, or each at its real length (LOAD=full)
    kept.py        the real-length runs' verdicts, kept per suite for the comparison
    hosts.py       test hosts as network namespaces joined by virtual links
    multihost.py   master, workers and the suite on test hosts of their own; suitehost.py the suite's side
"""

from __future__ import annotations

LOAD_DIR = "load"  # inside a run folder: reports/runs/<id>/load/<stage>/
SUMMARY = "summary.json"
CAPACITY = "capacity.json"
CONNECTIONS = "connections.json"  # new connections per generator (keepalive.py)
# env variables the locustfile reads (it also runs as plain `locust -f`)
ENV_STATE = "POC_LOAD_STATE"        # a suite-state.json: the suite's endpoints and accounts
ENV_PROFILE = "POC_LOAD_PROFILE"    # morning | deadline | steady
ENV_SIZE = "POC_LOAD_SIZE"          # XS | S | M | L | XL
ENV_DURATION = "POC_LOAD_DURATION"  # seconds the profile is squeezed into (default: its real length)
ENV_CAPACITY = "POC_LOAD_CAPACITY"  # JSON: a capacity search instead of a profile
ENV_OUT = "POC_LOAD_OUT"            # folder for capacity.json
ENV_THINK = "POC_LOAD_THINK"        # a fixed think time in seconds (benchmarks)
ENV_SEED = "POC_LOAD_SEED"
ENV_MAX_USERS = "POC_LOAD_MAX_USERS"
ENV_MAX_SECONDS = "POC_LOAD_MAX_SECONDS"
