"""Who made a connection attempt is found by its socket: the local port AND the addresses seen on
the wire, since the same port number may be in use on another address at the same moment (a
suite's loopback connection must not be taken for the browser's attempt to leave)."""

from __future__ import annotations

import os
import socket

from poc.isolation import procs


def test_a_port_in_use_on_loopback_is_not_the_owner_of_a_frame_from_another_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        mine = procs.owner("tcp", port, "127.0.0.1")
        assert mine is not None and mine["pid"] == os.getpid()
        assert procs.owner("tcp", port, "10.255.0.2", "198.18.0.3", 443) is None


def test_a_connected_socket_matches_only_its_own_peer():
    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client.connect(server.getsockname())
        local = client.getsockname()
        assert procs.owner("tcp", local[1], "127.0.0.1", "127.0.0.1", server.getsockname()[1])["pid"] == os.getpid()
        assert procs.owner("tcp", local[1], "127.0.0.1", "198.18.0.3", 443) is None
