"""The simulated users keep their connections, as pupils' browsers do.

Locust's FastHttpUser (geventhttpclient 2.6) checks an idle pooled connection before reusing it with
``select.select([sock], [], [], 0)``. ``select()`` cannot take a file number of 1024 or above
(FD_SETSIZE): gevent's select raises ValueError, geventhttpclient takes that for a dead connection,
closes it and opens a new one. So past about 1,000 users in one process almost every request opened a
new connection (10,000 users: about 28,000 connections for 30,000 requests), and on an HTTPS suite
every one of them is a TLS handshake the suite is charged for that no school day makes.

Here the same check is made with ``poll()`` (no limit on the file number), for plain and TLS pools
alike, and every new connection is counted, so each stage can report how many it opened
(``connections.json`` in the stage folder; the test is tests/test_load_connections.py).

Only imported inside a Locust process (it imports gevent and geventhttpclient).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.connectionpool import ConnectionPool, SSLConnectionPool
from locust import FastHttpUser

from . import CONNECTIONS as FILE
from .limits import raise_open_files, users_per_process

from .conncount import COUNTS, alive  # noqa: E402,F401  (shared with leanhttp.py)


class _Counting:
    def _is_socket_alive(self, sock) -> bool:
        ok = alive(sock)
        COUNTS["reused" if ok else "stale"] += 1
        return ok

    def _create_socket(self):
        sock = super()._create_socket()
        COUNTS["opened"] += 1
        return sock

    def release_socket(self, sock) -> None:
        COUNTS["closed"] += 1
        super().release_socket(sock)


class KeepAliveConnectionPool(_Counting, ConnectionPool):
    pass


class KeepAliveSSLConnectionPool(_Counting, SSLConnectionPool):
    pass


class KeepAliveHTTPClient(HTTPClient):
    """geventhttpclient's client with the pool above (it builds its pool in __init__, by class name)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        pool = self._connection_pool
        pool.__class__ = KeepAliveSSLConnectionPool if isinstance(pool, SSLConnectionPool) else KeepAliveConnectionPool


class KeepAliveClientPool(HTTPClientPool):
    """One client per host:port, as geventhttpclient's, made of KeepAliveHTTPClient."""

    def get_client(self, url):
        from geventhttpclient.url import URL
        if not isinstance(url, URL):
            url = URL(url)
        key = url.host, url.port
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = KeepAliveHTTPClient.from_url(url, **self.client_args)
        return client


class KeepAliveHttpUser(FastHttpUser):
    """A FastHttpUser that keeps its connections: one pool per user (its own browser), reused whatever
    file number its sockets get. The harness's pupils and teachers are these."""

    abstract = True

    def __init__(self, environment):
        super().__init__(environment)
        agent = self.client.client
        if self.client_pool is None:  # the user's own pool, with the arguments FastHttpUser gave it
            agent.clientpool = KeepAliveClientPool(**agent.clientpool.client_args)


def write(folder: str | os.PathLike | None, extra: dict | None = None) -> None:
    if not folder:
        return
    path = Path(folder) / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**COUNTS, **(extra or {})}, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def install(events, out_folder: str | None, hosts: int, label: str | None = None) -> None:
    """Count connections and requests in this process and bring them together in the one that ends the run:
    each worker adds its counts to its reports to the master (Locust's report_to_master), the master (or
    the only process) writes connections.json into the stage folder when it quits, with the figures of
    every generator (its label: the host it ran on) and how many users one process can hold here."""
    from locust.runners import MasterRunner, WorkerRunner
    soft, hard = raise_open_files()
    me = {"label": label or os.environ.get("POC_LOAD_HOST_LABEL") or os.uname().nodename, "pid": os.getpid(),
          "open_files": soft, "open_files_hard": hard, "users_per_process": users_per_process(soft, hosts)}
    COUNTS.setdefault("requests", 0)
    COUNTS.setdefault("peak_users", 0)
    workers: dict[str, dict] = {}
    state = {"runner": None}

    @events.init.add_listener
    def _init(environment, **_kw):
        state["runner"] = environment.runner

    @events.request.add_listener
    def _count(**_kw):
        COUNTS["requests"] += 1

    def _users() -> int:
        r = state["runner"]
        n = r.user_count if r is not None else 0
        COUNTS["peak_users"] = max(COUNTS["peak_users"], n)
        return n

    @events.spawning_complete.add_listener
    def _spawned(user_count, **_kw):
        _users()

    @events.report_to_master.add_listener
    def _report(client_id, data, **_kw):
        _users()
        data["poc_connections"] = {**me, **COUNTS}

    @events.worker_report.add_listener
    def _received(client_id, data, **_kw):
        if "poc_connections" in data:
            workers[client_id] = data["poc_connections"]

    @events.quitting.add_listener
    def _quit(environment, **_kw):
        if isinstance(environment.runner, WorkerRunner):
            return
        _users()
        if isinstance(environment.runner, MasterRunner):
            gens = list(workers.values())
        else:
            gens = [{**me, **COUNTS}]
        total = {k: sum(int(g.get(k, 0)) for g in gens) for k in ("opened", "reused", "stale", "closed", "requests")}
        write(out_folder and Path(out_folder), {**total, "generators": gens, "hosts_per_user": hosts,
                                                 "open_files": min((g["open_files"] for g in gens), default=soft),
                                                 "users_per_process": min((g["users_per_process"] for g in gens),
                                                                          default=me["users_per_process"])})
        COUNTS.update(total)
