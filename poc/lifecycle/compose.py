"""The `compose` mode: the suite's docker-compose.yml, brought up with `docker compose up --wait`."""

from __future__ import annotations

import shutil
import subprocess

from ..errors import SuiteStartError
from . import Deployment, mode


def engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@mode("compose")
class ComposeDeployment(Deployment):
    def up(self) -> None:
        if not engine_answers():
            raise SuiteStartError(
                f"suite {self.suite.name!r} runs under Docker Compose, but no Docker engine answers on this "
                f"machine (`docker info` failed). Start Docker, or evaluate a running deployment instead:\n"
                f"  make evaluate SUITE={self.suite.name} URL=https://your-{self.suite.name}.example.dk")
        raise SuiteStartError("compose mode: not implemented yet in this harness version")
