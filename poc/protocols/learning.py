"""The `learning` capability: what every learning-platform adapter offers the scenarios.

A suite's learning adapter (``moodle-ws``, ``kolibri-rest``, ...) is registered by protocol name
like any other adapter and is constructed for one account: ``Adapter(url, account, suite,
close_connections=...)``. It subclasses :class:`LearningAdapter` (or provides the same methods),
so the scenarios in ``scenarios/api/test_learning_*.py`` run unchanged on every platform.

Words used here, whatever the platform calls them:

- a *class* is Moodle's course, Kolibri's classroom;
- a *lesson* is material made visible to a class (Moodle: a page/resource, Kolibri: a lesson);
- an *assignment* is a task with a deadline that a pupil hands in and a teacher grades.

A method the platform cannot do through its API raises :class:`NotThroughAPI` with the reason:
the scenario then records that the harness could not test it (never a `pass`); a request the
platform refuses for the signed-in account raises :class:`Forbidden` (the scenarios about access
rights expect it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ROLES = ("pupil", "teacher")


class LearningError(Exception):
    """The platform answered something the adapter did not expect."""


class Forbidden(LearningError):
    """The platform refused the request for this account (HTTP 403, Moodle's nopermission, ...)."""


class NotThroughAPI(LearningError):
    """The platform has no API for this step; the message says which and where that was checked."""


@dataclass(frozen=True)
class ClassRef:
    id: str
    name: str


@dataclass(frozen=True)
class Participant:
    username: str
    role: str  # one of ROLES, or the platform's own word when it is neither


@dataclass(frozen=True)
class LessonRef:
    id: str
    title: str
    class_id: str


@dataclass(frozen=True)
class AssignmentRef:
    id: str
    title: str
    class_id: str
    due: dt.datetime | None = None


@dataclass
class Feedback:
    """What a pupil sees of their own hand-in after grading."""

    submitted: bool
    grade: float | None = None
    comment: str = ""
    extra: dict = field(default_factory=dict)


class LearningAdapter:
    """The interface; every method is one step of the school's learning flow for this account.

    Optional: ``password_accepted(password) -> bool`` signs this account in with another password on
    a fresh session (IAM-08, scenarios/api/test_pupil_passwords.py); without it that scenario is
    `unsupported` on the suite.
    """

    account = None

    # -- classes ---------------------------------------------------------------------------------
    def create_class(self, name: str) -> ClassRef:
        raise NotImplementedError

    def delete_class(self, class_id: str) -> None:
        raise NotImplementedError

    def enrol(self, class_id: str, username: str, role: str = "pupil") -> None:
        raise NotImplementedError

    def participants(self, class_id: str) -> list[Participant]:
        raise NotImplementedError

    def my_classes(self) -> list[ClassRef]:
        """The classes the signed-in account sees in its own overview."""
        raise NotImplementedError

    def open_class(self, class_id: str) -> dict:
        """Open a class's content directly by id; raises Forbidden when the account may not."""
        raise NotImplementedError

    # -- material --------------------------------------------------------------------------------
    def create_lesson(self, class_id: str, title: str, text: str,
                      attachment: tuple[str, bytes] | None = None) -> LessonRef:
        raise NotImplementedError

    def lessons(self, class_id: str) -> list[LessonRef]:
        """The lessons of a class the signed-in account can see."""
        raise NotImplementedError

    def download_attachment(self, lesson: LessonRef, name: str) -> bytes:
        raise NotImplementedError

    # -- assignments -----------------------------------------------------------------------------
    def create_assignment(self, class_id: str, title: str, due: dt.datetime,
                          text: str = "") -> AssignmentRef:
        raise NotImplementedError

    def submit(self, assignment: AssignmentRef, text: str) -> None:
        raise NotImplementedError

    def submissions(self, assignment: AssignmentRef) -> dict[str, str]:
        """username -> submission status, as the teacher sees them."""
        raise NotImplementedError

    def grade(self, assignment: AssignmentRef, username: str, grade: float, comment: str) -> None:
        raise NotImplementedError

    def feedback(self, assignment: AssignmentRef) -> Feedback:
        """The signed-in pupil's own submission status, grade and comment."""
        raise NotImplementedError

    def close(self) -> None:
        pass


# The names a learning adapter must define (checked in the adapters' tests).
INTERFACE = tuple(name for name, value in vars(LearningAdapter).items()
                  if callable(value) and not name.startswith("_"))
