"""The base class of the load shapes (profiles.py, capacity.py).

Inside a Locust process (`locust -f ...`, or the harness's Locust subprocess) `locust` is already
imported and the shapes subclass Locust's own LoadTestShape, which is what Locust looks for in a
locustfile. Anywhere else (the harness itself, its unit tests) importing locust would run gevent's
monkey-patching after ssl was imported, which breaks ssl (RecursionError), so the shapes get a base
with the same small interface instead and their curve logic can be used and tested on its own.
"""

from __future__ import annotations

import sys
import time

if "locust" in sys.modules:
    from locust import LoadTestShape
else:
    class LoadTestShape:  # the part of locust.LoadTestShape the shapes use
        abstract = True
        runner = None

        def __init__(self):
            self.start_time = time.perf_counter()

        def reset_time(self):
            self.start_time = time.perf_counter()

        def get_run_time(self) -> float:
            return time.perf_counter() - self.start_time

        def get_current_user_count(self) -> int:
            return self.runner.user_count if self.runner is not None else 0

        def tick(self):
            raise NotImplementedError

__all__ = ["LoadTestShape"]
