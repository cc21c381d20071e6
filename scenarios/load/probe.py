"""A probe for benchmarks and calibration: the harness's load user (same client, safety check and
auth header as the pupils and teachers) doing one GET on the files endpoint, with the think time
from POC_LOAD_THINK (0: none). With POC_LOAD_CAPACITY set it runs the capacity search.

    POC_LOAD_STATE=... POC_LOAD_THINK=0 locust -f scenarios/load/probe.py --headless -u 20 -r 20 -t 10s
"""

from __future__ import annotations

import os

from locust import task

from locustfile import TARGET, SchoolUser  # noqa: F401  (the guard listeners come with it)
from poc.load import ENV_CAPACITY, actions, profiles

if os.environ.get(ENV_CAPACITY):
    CapacityShape = profiles.shape_from_env()


class Probe(SchoolUser):
    url = TARGET.url_for("files", next(iter(TARGET.accounts.values()), None)) if "files" in TARGET.capabilities \
        else (TARGET.hosts()[0] + "/")

    def on_start(self):
        pass

    @task
    def get_page(self):
        actions.get(self, self.url, "probe: get")
