"""pytest configuration shared by the scenarios (scenarios/, run against a suite) and the harness's
own tests (tests/). The scenario fixtures live in scenarios/conftest.py; the recording plugin is
poc/plugin.py, loaded by its pytest11 entry point."""

collect_ignore_glob = ["reports/*", "suites/*", ".venv*/*", "node_modules/*", "bench/*"]
