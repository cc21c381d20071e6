"""Privacy, accessibility, language and page timings judged on the tour of the suite's pages
(every page in its ui block, visited as a pupil with the browser set to da-DK). Each requirement's
threshold is its ``evidence_rule`` in requirements.yaml.

PYTEST_DONT_REWRITE: a verdict's message is the judgement's one line, without pytest's assertion
introspection appended.
"""

from __future__ import annotations

import pytest


@pytest.mark.requirement("PRI-01")
def test_no_third_party_hosts(judged):
    """The pages contact no host outside the suite's own origins"""
    result = judged("PRI-01")
    assert result.ok, result.message


@pytest.mark.requirement("PRI-02")
def test_cookie_flags(judged):
    """Cookies are Secure, HttpOnly, SameSite and session-length"""
    result = judged("PRI-02")
    assert result.ok, result.message


@pytest.mark.requirement("PRI-03")
def test_security_headers_grade(judged):
    """Security headers graded by the Mozilla HTTP Observatory rules"""
    result = judged("PRI-03")
    assert result.ok, result.message


@pytest.mark.requirement("ACC-01")
def test_no_critical_or_serious_axe_violations(judged):
    """axe-core finds no critical or serious WCAG 2.1 A/AA violations"""
    result = judged("ACC-01")
    assert result.ok, result.message


@pytest.mark.requirement("ACC-02")
def test_no_moderate_axe_violations(judged):
    """axe-core finds no moderate WCAG 2.1 A/AA violations"""
    result = judged("ACC-02")
    assert result.ok, result.message


@pytest.mark.requirement("LOC-01")
def test_interface_offered_in_danish(judged, ui):
    """With the browser set to Danish the pages are in Danish"""
    result = judged("LOC-01")
    note = ui.block.get("language_note")  # where the suite's Danish comes from (a language pack, ...)
    assert result.ok, result.message + (f" ({note})" if note else "")


@pytest.mark.requirement("PRF-04")
def test_pages_load_within_the_limit(judged):
    """Every page has loaded (the load event) within the limit"""
    result = judged("PRF-04")
    assert result.ok, result.message
