"""Wall time spent driving the browser, per process (bench/bench_ui.py adds it up per run)."""

from __future__ import annotations

import time
from contextlib import contextmanager

_total = 0.0
_depth = 0


@contextmanager
def in_browser():
    """Count the enclosed block as browser time (nested blocks are counted once)."""
    global _total, _depth
    _depth += 1
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _total += time.perf_counter() - t0


def browser_seconds() -> float:
    return _total
