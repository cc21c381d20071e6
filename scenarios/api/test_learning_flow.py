"""The school's learning flow, the same on every learning platform (Moodle web services, Kolibri,
...) through the `learning` adapter interface (poc/protocols/learning.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from poc.protocols.learning import Forbidden, NotThroughAPI

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def not_through_api(exc: NotThroughAPI):
    pytest.skip(f"not testable through the API: {exc}")


def _user(deployment, role):
    return deployment.accounts[role].username


@pytest.mark.requirement("LRN-01")
def test_teacher_creates_class_and_enrols_pupils(learning_for, class_setup, learning_class, suite_deployment):
    if class_setup.teacher_refused:
        pytest.fail(f"the platform does not let the teacher create a class: {class_setup.teacher_refused}")
    teacher = learning_for("teacher")
    teacher.enrol(learning_class.id, _user(suite_deployment, "pupil"), "pupil")
    people = {p.username: p.role for p in teacher.participants(learning_class.id)}
    assert people.get(_user(suite_deployment, "pupil")) == "pupil", f"participants: {people}"


@pytest.mark.requirement("LRN-02")
def test_pupil_sees_own_class_with_danish_name(learning_for, learning_class, enrol):
    enrol("pupil")
    pupil = learning_for("pupil")
    names = [c.name for c in pupil.my_classes()]
    assert learning_class.name in names, f"the pupil's overview shows {names}, not {learning_class.name!r}"
    pupil.open_class(learning_class.id)


@pytest.mark.requirement("LRN-03")
def test_lesson_reaches_the_class_and_no_one_else(learning_for, learning_class, enrol, suite_deployment):
    enrol("pupil")
    try:
        lesson = learning_for("teacher").create_lesson(learning_class.id, "Brøker – øvelser til uge 37",
                                                       "Læs side 12–15 og lav opgave 1–4.")
    except NotThroughAPI as exc:
        not_through_api(exc)
    assert lesson.title in [l.title for l in learning_for("pupil").lessons(learning_class.id)], \
        "the pupil does not see the lesson assigned to the class"
    if "pupil2" in suite_deployment.accounts:
        try:
            seen = [l.title for l in learning_for("pupil2").lessons(learning_class.id)]
        except Forbidden:
            seen = []
        assert lesson.title not in seen, "a pupil outside the class sees the lesson"


@pytest.mark.requirement("LRN-03")
def test_lesson_with_attachment_reaches_the_class(learning_for, learning_class, enrol):
    enrol("pupil")
    teacher = learning_for("teacher")
    attachment = ("opgave-æøå.txt", "Læs kapitel 3 om Ærø.\n".encode("utf-8"))
    try:
        lesson = teacher.create_lesson(learning_class.id, "Brøker og øvelser", "Se vedhæftet fil.", attachment)
    except NotThroughAPI as exc:
        not_through_api(exc)
    pupil = learning_for("pupil")
    assert lesson.title in [l.title for l in pupil.lessons(learning_class.id)], "the pupil does not see the lesson"
    assert pupil.download_attachment(lesson, attachment[0]) == attachment[1], "the attachment came back changed"


@pytest.mark.requirement("LRN-04")
def test_pupil_cannot_see_another_class(learning_for, learning_class, enrol):
    enrol("pupil")
    outsider = learning_for("pupil2")
    assert learning_class.name not in [c.name for c in outsider.my_classes()], \
        "a pupil who is not enrolled sees the class"
    with pytest.raises(Forbidden):
        outsider.open_class(learning_class.id)


@pytest.fixture
def assignment(learning_for, learning_class, enrol, suite_deployment):
    teacher = learning_for("teacher")
    for role in ("pupil", "pupil2"):
        if role in suite_deployment.accounts:
            enrol(role)
    due = (dt.datetime.now(COPENHAGEN) + dt.timedelta(days=7)).replace(hour=12, minute=0, second=0, microsecond=0)
    try:
        return teacher.create_assignment(learning_class.id, "Stil: Min sommerferie på Ærø", due,
                                         "Skriv en side om din sommerferie.")
    except NotThroughAPI as exc:
        not_through_api(exc)


@pytest.mark.requirement("LRN-05")
def test_pupil_hands_in_before_deadline(learning_for, assignment, suite_deployment):
    learning_for("pupil").submit(assignment, "<p>Jeg badede ved Ærøskøbing og spiste æbleskiver.</p>")
    statuses = learning_for("teacher").submissions(assignment)
    assert statuses.get(_user(suite_deployment, "pupil")) == "submitted", f"the teacher sees {statuses}"


@pytest.mark.requirement("LRN-06")
def test_teacher_grades_and_only_that_pupil_sees_feedback(learning_for, assignment, suite_deployment):
    learning_for("pupil").submit(assignment, "<p>Min stil.</p>")
    comment = "Flot arbejde – god brug af æ, ø og å."
    learning_for("teacher").grade(assignment, _user(suite_deployment, "pupil"), 10.0, comment)
    mine = learning_for("pupil").feedback(assignment)
    assert mine.grade == 10.0, f"the pupil sees grade {mine.grade!r}"
    assert comment in mine.comment, f"the pupil sees feedback {mine.comment!r}"
    if "pupil2" in suite_deployment.accounts:
        other = learning_for("pupil2").feedback(assignment)
        assert other.grade is None and comment not in other.comment, "another pupil sees the grade or feedback"
