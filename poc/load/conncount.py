"""The generators' connection counts and the idle-connection check, shared by the users' client
(leanhttp.py) and Locust's patched pool (keepalive.py). No Locust import: usable in any process."""

from __future__ import annotations

import select as _select_module

from gevent import monkey

# the kernel's poll(), not gevent's cooperative one: with a zero time-out it never blocks
_poll = monkey.get_original("select", "poll")
_READABLE_OR_GONE = _select_module.POLLIN | _select_module.POLLPRI | _select_module.POLLERR | \
    _select_module.POLLHUP | _select_module.POLLNVAL

# this process's connections, reported per stage: opened, reused from the pool, found dead in the pool
# (stale), and ended after a response (closed: the suite answered HTTP/1.0 or Connection: close, or the
# exchange failed), so a reader sees whether new connections were the suite's doing or the generator's
COUNTS = {"opened": 0, "reused": 0, "stale": 0, "closed": 0}


def alive(sock) -> bool:
    """An idle keep-alive connection may be reused when nothing is waiting on it: no data, no FIN, no
    error. The same rule as geventhttpclient's, with poll() instead of select() (any file number)."""
    if sock is None:
        return False
    try:
        fd = sock.fileno()
        if fd < 0:
            return False
        if getattr(sock, "pending", None) and sock.pending():  # TLS: bytes already decrypted and waiting
            return False
        p = _poll()
        p.register(fd, _READABLE_OR_GONE)
        return not p.poll(0)
    except (OSError, ValueError):
        return False
