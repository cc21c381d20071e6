"""Locust's master/worker mode across separate hosts: the project's own test hosts as network namespaces
on this machine joined by virtual links (the master in one, two workers in others, the suite in its own),
the users split between the workers and their results merged by the master into one run. Bounded (one
class, 27 users, 20 s), and no traffic to any address outside the namespaces and loopback."""

from __future__ import annotations

import json
import subprocess

import pytest

from poc.load import hosts, multihost

pytestmark = pytest.mark.skipif(hosts.problem() is not None, reason=hosts.problem() or "")


def _namespaces() -> set[str]:
    """The test networks' namespaces (others' namespaces, e.g. PRI-07's isolation, may come and go meanwhile)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith("pocnet-")}


def test_the_test_network_is_sealed_and_removed_afterwards():
    before = _namespaces()
    with hosts.TestNetwork(["master", "w1", "suite"]) as net:
        proof = net.sealed()
        assert proof["ok"], proof["problems"]
        for host in ("master", "w1", "suite"):
            h = proof["hosts"][host]
            assert h["links"] == ["eth0", "lo"] and h["address"].startswith("10.254.7.")
            assert "unreachable" in h["outside"].lower(), h["outside"]
        names = set(net.names.values()) | {net.switch}
        assert names <= _namespaces()
    assert not names & _namespaces() and _namespaces() <= before, "all removed"


def test_master_and_two_workers_on_their_own_hosts_merge_into_one_run(reports):
    before = _namespaces()
    said = []
    summary = multihost.run("baseline", profile="morning", size="XS", seconds=20, workers=2, progress=said.append)
    assert summary["exit_code"] in (0, 1), said
    # the suite ran on its own host and the load went there only
    net = summary["test_network"]
    assert net["ok"] and net["suite"] == "10.254.7.4" and net["master"] == "10.254.7.1"
    assert set(net["workers"].values()) == {"10.254.7.2", "10.254.7.3"}
    assert any("baseline is up on its host: http://10.254.7.4:" in line for line in said), said
    # the users were split between the two worker hosts, and the master merged their results
    gens = summary["connections"]["generators"]
    assert sorted(g["label"].split()[0] for g in gens) == ["w1", "w2"], gens
    assert all(g["requests"] > 0 and g["peak_users"] > 0 for g in gens), gens
    assert sum(g["peak_users"] for g in gens) == summary["peak_users"] == 27
    total = summary["total"]["requests"]
    assert total > 0 and abs(sum(g["requests"] for g in gens) - total) <= 2, (gens, total)
    assert summary["workers"] == 2 and summary["error_rate"] < 0.05, summary.get("failures")
    # one run folder: Locust's merged CSV statistics and the summary
    folder = next(reports.glob("runs/*/load/morning"))
    assert (folder / "locust_stats.csv").exists() and json.loads((folder / "summary.json").read_text())["test_network"]
    assert _namespaces() <= before, "the test network is removed"
