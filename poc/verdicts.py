"""The verdicts, and how a scenario's outcome becomes one.

A failed assertion, or a suite that refused what the scenario needed (a 4xx), is `fail`: the suite
did not do it. So is a method the suite answers with 501 Not Implemented: a server that does not
implement what the requirement needs has not done it. A refused connection, a time-out or a 5xx is `error`: the harness or the suite
broke, and it is not the suite's fault until shown. A suite that lacks the capability is
`unsupported`. No scenario at all is `not-tested`.
"""

from __future__ import annotations

import pytest

PASS, PARTIAL, FAIL, UNSUPPORTED, ERROR, NOT_TESTED = "pass", "partial", "fail", "unsupported", "error", "not-tested"
RECORDED = (PASS, FAIL, UNSUPPORTED, ERROR)
ALL = (PASS, PARTIAL, FAIL, UNSUPPORTED, ERROR, NOT_TESTED)


class Unsupported(pytest.skip.Exception):
    """Raised (through ``unsupported()``) when the suite does not offer what a scenario needs."""


def unsupported(reason: str):
    raise Unsupported(reason, _use_item_location=True)


_CONNECTION_NAMES = {"ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "Timeout",
                     "ReadTimeout", "ConnectTimeout", "TimeoutError", "NewConnectionError", "MaxRetryError",
                     "ProtocolError", "RemoteDisconnected", "BrokenPipeError", "ServerFault", "SuiteDied",
                     "SuiteStartError", "ChunkedEncodingError"}
_FAIL_NAMES = {"AssertionError", "Refused", "Failed", "Forbidden",  # Forbidden: a learning platform said no
               "NotImplementedByServer"}  # 501: the suite does not implement the method
_DAV_FAIL_NAMES = {"AuthorizationError", "NotFoundError", "PutError", "DeleteError", "ReportError",
                   "PropfindError", "PropsetError", "MkcalendarError", "MkcolError", "ResponseError",
                   "DAVError", "ConsistencyError"}


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc: BaseException) -> str:
    """`fail` or `error` for an exception a scenario raised."""
    names = [{c.__name__ for c in type(e).__mro__} for e in _chain(exc)]
    if names and "NotImplementedByServer" in names[0]:
        return FAIL
    if any(n & _CONNECTION_NAMES for n in names):
        return ERROR
    text = str(exc)
    if names and names[0] & _DAV_FAIL_NAMES:
        # python-caldav wraps every HTTP answer it did not want; a 5xx among them is the server's
        # fault, except 501: the server does not implement the method, which is the suite's fail
        return ERROR if any(f" {code}" in text or f"{code} " in text for code in range(500, 512) if code != 501) \
            else FAIL
    if names and names[0] & _FAIL_NAMES:
        return FAIL
    return ERROR
