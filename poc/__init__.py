"""OS2skole PoC harness: evaluates school suites against the Phase 1 requirement catalogue."""

__version__ = "0.1.0"
