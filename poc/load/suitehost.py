"""The suite on a test host of its own: `python -m poc.load.suitehost --suite NAME --run-dir DIR`, run
inside the suite's namespace of the test network (poc/load/hosts.py) with POC_LOCAL_HOST set to that
host's address. It starts the suite as `make evaluate` would, writes DIR/suite-state.json (no password:
the accounts' passwords come from the environment variables suite.yaml names, set by the caller for
every host alike), prints `ready`, and stops the suite on SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .. import catalogue as catalogue_mod
from .. import suites
from ..errors import PocError
from ..lifecycle import deployment, sigterm_as_interrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m poc.load.suitehost")
    p.add_argument("--suite", required=True)
    p.add_argument("--run-dir", required=True, type=Path)
    args = p.parse_args(argv)
    catalogue = catalogue_mod.load(suites.repo_root() / "requirements.yaml")
    suite = suites.load(args.suite, capabilities=set(catalogue.capabilities))
    signal.signal(signal.SIGTERM, sigterm_as_interrupt)
    dep = deployment(suite, args.run_dir, progress=lambda text: print(text, flush=True))
    try:
        dep.up()
        dep.write_state()
        print(f"ready: {suite.name} {dep.version} at {', '.join(dep.hosts())}", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0
    except PocError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 3
    finally:
        dep.down()


if __name__ == "__main__":
    sys.exit(main())
