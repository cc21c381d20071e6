"""litmus, WebDAV's own test suite (RFC 4918), one group at a time, against a fresh folder of the
pupil's files. Evidence only: the requirement verdicts it overlaps are in crosscheck.yaml."""

from __future__ import annotations

import pytest

from poc.conformance import litmus


@pytest.mark.parametrize("group", litmus.GROUPS)
def test_litmus(group, endpoint):
    target = endpoint("files", "webdav", litmus.TOOL, group)
    with target.fresh_folder(f"poc-litmus-{group}") as url:
        result = litmus.run(group, url, target.account.username, target.account.password, target.evidence,
                            run_dir=target.run_dir)
    target.verify(result)
