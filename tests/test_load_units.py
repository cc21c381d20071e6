"""The load package's logic without servers: profiles, verdicts, safety, comparison, capacity maths."""

from __future__ import annotations

import pytest

from poc.load import capacity, compare, data, profiles, results, safety
from poc.load.target import Target
from poc.suites import Account


def test_sizes_and_profiles_come_from_the_data_files():
    assert data.size("XS").pupils == 25 and data.size("S").pupils == 600 and data.size("XL").pupils == 520_000
    assert all(s.source for s in data.sizes().values())
    morning = data.profile("morning")
    assert morning.share_at(0) == pytest.approx(0.05) and morning.share_at(1) == 1.0
    assert morning.share_at(10 / 30) == pytest.approx(0.25)


def test_a_squeezed_profile_walks_the_same_curve_and_ends():
    shape = profiles.Morning(size="S", duration=30)
    assert shape.time_factor == pytest.approx(30 / 1800)
    assert shape.users_at(0) == round(0.05 * shape.users)
    assert shape.users_at(15) == shape.users  # minute 15 of 30: everyone is in


def _summary(size="XS", p95=120.0, failures=0, requests=1000, users=27, profile="morning", code=0, **kw):
    return {"profile": profile, "size": size, "peak_users": users, "duration_s": 6, "time_factor": 0.003,
            "exit_code": code, "total": {"requests": requests, "failures": failures, "p95_ms": p95},
            "error_rate": failures / requests if requests else 0, **kw}


def test_a_smaller_stage_that_holds_is_not_verified_never_passed():
    verdict, why = results.judge(_summary(size="XS"), {"profile": "morning", "size": "S", "p95_ms": 1000,
                                                        "error_rate": 0.01})
    assert verdict == results.NOT_VERIFIED and "size S" in why


def test_a_smaller_stage_that_breaks_at_real_length_fails():
    verdict, why = results.judge(_summary(size="XS", p95=1500, time_factor=1.0),
                                 {"size": "S", "p95_ms": 1000, "error_rate": 0.01})
    assert verdict == results.FAIL and "1500" in why


def test_a_breach_in_a_squeezed_stage_is_not_a_verdict_on_the_school_day():
    verdict, why = results.judge(_summary(size="XS", p95=1500), {"size": "S", "p95_ms": 1000, "error_rate": 0.01})
    assert verdict == results.NOT_VERIFIED and "1500" in why and "squeezed" in why


def test_the_right_size_passes_and_errors_fail():
    level = {"size": "S", "p95_ms": 1000, "error_rate": 0.01}
    assert results.judge(_summary(size="S", users=648), level)[0] == results.PASS
    assert results.judge(_summary(size="S", users=648, failures=50, time_factor=1.0), level)[0] == results.FAIL


def test_a_stage_whose_curve_never_reached_its_users_is_not_verified():
    level = {"size": "XS", "p95_ms": 1000, "error_rate": 0.01}
    verdict, why = results.judge(_summary(size="XS", users=1, planned_users=27, time_factor=1.0), level)
    assert verdict == results.NOT_VERIFIED and "only 1 of its 27 users" in why
    assert results.judge(_summary(size="XS", users=27, planned_users=27, time_factor=1.0), level)[0] == results.PASS


def test_min_users_must_be_reached():
    level = {"p95_ms": 1000, "error_rate": 0.01, "min_users": 600}
    assert results.judge(_summary(size="S", users=500), level)[0] == results.NOT_VERIFIED
    assert results.judge(_summary(size="S", users=648), level)[0] == results.PASS


def test_a_broken_stage_or_saturated_generator_is_an_error():
    level = {"p95_ms": 1000, "error_rate": 0.01}
    assert results.judge(_summary(code=2), level)[0] == results.ERROR
    assert results.judge(_summary(requests=0), level)[0] == results.ERROR
    assert results.judge(_summary(generator_saturated=True, generator_cpu_peak=100), level)[0] == results.ERROR


def _target(url="http://127.0.0.1:8080"):
    return Target("baseline", {"files": url}, {"files": {"protocol": "webdav", "url": "{files}/{user}/"}},
                  {"pupil": Account("pupil", "elev", "x" * 8)})


def test_load_only_goes_to_declared_hosts():
    t = _target()
    assert safety.check_target(t, ["files"]) == ["http://127.0.0.1:8080"]
    with pytest.raises(safety.LoadRefused, match="not a host baseline declares"):
        safety.check_target(t, ["files"], host="http://127.0.0.1:9999")
    with pytest.raises(safety.LoadRefused):
        safety.check_url("http://example.org/", t.hosts(), "baseline")
    bad = _target()
    bad.capabilities["files"]["url"] = "http://10.0.0.1/{user}/"
    with pytest.raises(safety.LoadRefused, match="10.0.0.1"):
        safety.check_target(bad, ["files"])


def test_load_is_bounded_in_users_and_time():
    safety.check_bounds(600, 60)
    with pytest.raises(safety.LoadRefused, match="bound"):
        safety.check_bounds(data.size("XL").users, 60)
    with pytest.raises(safety.LoadRefused):
        safety.check_bounds(10, safety.MAX_SECONDS + 1)


def test_percentile_of_a_histogram():
    times = {10: 90, 20: 5, 500: 5}
    assert capacity.percentile(times, 100, 0.5) == 10
    assert capacity.percentile(times, 100, 0.95) == 20
    assert capacity.percentile(times, 100, 0.96) == 500


def test_a_step_is_measured_from_its_own_requests():
    plan = capacity.Plan(p95_ms=100, error_rate=0.01)
    before = (1000, 0, {10: 1000})
    after = (1100, 0, {10: 1010, 300: 90})  # the step: 100 requests, 90 of them slow
    step = capacity.measure(50, before, after, 10.0, plan)
    assert step.requests == 100 and step.p95_ms == 300 and not step.ok and "p95" in step.reason
    ok = capacity.measure(50, before, (1100, 0, {10: 1100}), 10.0, plan)
    assert ok.ok and ok.rps == 10.0


def _run(p95, started, **kw):
    s = {"suite": "baseline", "stage": "morning", "size": "XS", "started": started, "total": {"p95_ms": p95},
         "comparable": {"profile": "morning", "size": "XS", "duration_s": 6, "harness": "0.1.0"}}
    s["comparable"].update(kw)
    return s


def test_regressions_only_between_comparable_runs():
    assert compare.regression(_run(100, "1"), _run(115, "2")) == pytest.approx(1.15)
    assert compare.regression(_run(100, "1"), _run(109, "2")) is None
    assert compare.regression(_run(100, "1"), _run(200, "2", duration_s=60)) is None  # not comparable
    assert compare.regression(_run(100, "1"), _run(200, "2", harness="0.2.0")) is None
    flagged = compare.regressions([_run(100, "1"), _run(150, "2"), _run(100, "3", size="S")])
    assert len(flagged) == 1 and flagged[0]["ratio"] == pytest.approx(1.5)


# -- learning actions (capability learning, protocol kolibri-rest) ------------------------------------

def _learning_target(protocol="kolibri-rest", teacher=True):
    accounts = {"pupil": Account("pupil", "elev_anna", "p" * 12), "pupil2": Account("pupil2", "elev_bjoern", "q" * 12)}
    if teacher:
        accounts["teacher"] = Account("teacher", "laerer_soeren", "t" * 12)
    return Target("kolibri", {"web": "http://127.0.0.1:8080"},
                  {"learning": {"protocol": protocol, "url": "{web}"}, "status": {"protocol": "http-status",
                                                                              "url": "{web}/api/public/info/"}},
                  accounts)


def test_behaviour_has_learning_actions_weighted_per_profile():
    b = data.behaviour()
    for action in ("sign_in_learning", "see_my_classes", "open_lesson", "look_at_class_lessons"):
        assert b["actions"][action]["capability"] == "learning"
    morning, deadline, steady = (data.weights("pupil", p) for p in ("morning", "deadline", "steady"))
    # 08:00: mostly signing in and seeing one's classes; later: lessons
    assert morning["sign_in_learning"] + morning["see_my_classes"] > 2 * morning["open_lesson"]
    for w in (deadline, steady):
        assert w["open_lesson"] > w["sign_in_learning"] + w["see_my_classes"]
    assert all(data.weights("teacher", p)["look_at_class_lessons"] > 0 for p in ("morning", "deadline", "steady"))
    # the pupils' file and calendar weights are as they were
    assert {k: v for k, v in morning.items() if b["actions"][k]["capability"] != "learning"} == \
        {"list_files": 4, "open_file": 2, "upload_assignment": 1, "look_at_calendar": 4}
    assert {k: v for k, v in deadline.items() if b["actions"][k]["capability"] != "learning"} == \
        {"list_files": 2, "open_file": 1, "upload_assignment": 6, "look_at_calendar": 1}
    assert {k: v for k, v in steady.items() if b["actions"][k]["capability"] != "learning"} == \
        {"list_files": 4, "open_file": 3, "upload_assignment": 1, "look_at_calendar": 2}


def test_a_kolibri_suite_gets_the_learning_actions_and_the_rest_is_named():
    from poc.load import actions
    chosen, left_out = actions.select("pupil", "morning", _learning_target())
    assert chosen == {"sign_in_learning": 4, "see_my_classes": 4, "open_lesson": 2}
    assert "pupil: list_files (needs files)" in left_out and "pupil: look_at_calendar (needs calendar)" in left_out
    chosen, left_out = actions.select("teacher", "steady", _learning_target())
    assert chosen == {"look_at_class_lessons": 3}
    assert "teacher: create_lesson (needs calendar)" in left_out
    assert actions.select("teacher", "steady", _learning_target(teacher=False))[0] == {}
    assert set(actions.LEARNING["kolibri-rest"]) >= {"sign_in_learning", "see_my_classes", "open_lesson",
                                                     "look_at_class_lessons"}


def test_learning_over_a_protocol_without_load_actions_is_left_out_and_named():
    from poc.load import actions
    chosen, left_out = actions.select("pupil", "morning", _learning_target("moodle-ws"))
    assert chosen == {}
    assert "pupil: open_lesson (needs learning; no load actions over moodle-ws yet)" in left_out
    assert not actions.implemented("learning", "moodle-ws") and actions.implemented("learning", "kolibri-rest")
    assert actions.implemented("files", "webdav")  # the file, calendar and sharing actions as before


def test_a_file_suite_keeps_its_actions_and_names_the_learning_ones():
    from poc.load import actions
    t = _target()
    t.capabilities["calendar"] = {"protocol": "caldav", "url": "{files}/"}
    chosen, left_out = actions.select("pupil", "deadline", t)
    assert chosen == {"list_files": 2, "open_file": 1, "upload_assignment": 6, "look_at_calendar": 1}
    assert "pupil: open_lesson (needs learning)" in left_out


class _Response:
    def __init__(self, status, body=b"[]"):
        self.status_code, self.content = status, body

    def json(self):
        import json
        return json.loads(self.content)

    def success(self):
        self.ok = True

    def failure(self, why):
        self.ok = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Cookie:
    def __init__(self, name, value):
        self.name, self.value = name, value


class _Client:
    """The users' client (poc/load/leanhttp.py) as far as the learning actions use it: request(...) and
    cookie(name); it records what would be sent."""

    def __init__(self, answers):
        self.cookiejar, self.sent, self.answers = [], [], answers

    def cookie(self, name, host=None):
        return next((c.value for c in self.cookiejar if c.name == name), "")

    def request(self, method, url, name=None, data=None, headers=None, expect=(200,)):
        self.sent.append((method, url, name, data, dict(headers or {})))
        if url.endswith("/api/auth/session/current/") and method == "GET":
            self.cookiejar.append(_Cookie("kolibri_csrftoken", "tok123"))
        for (m, suffix), answer in self.answers.items():
            if m == method and url.split("?")[0].endswith(suffix):
                return _Response(*answer)
        return _Response(200)


class _User:
    def __init__(self, answers=None, role="pupil"):
        import random
        self.client = self.http = _Client(answers or {})
        self.role, self.rng, self.auth = role, random.Random(1), {"Authorization": "Basic c2VjcmV0"}
        self.account = Account(role, "elev_anna", "Hemmelig-Kode-42")
        self.allowed_prefixes = ("http://127.0.0.1:8080/",)
        self.learning = {"facility": "fac1", "class": "c1"}


def test_kolibri_sign_in_sends_the_password_only_in_the_body_with_the_csrf_token():
    import json
    from poc.load import actions
    user = _User()
    actions.kolibri_sign_in(user, "http://127.0.0.1:8080", "pupil: sign in (learning)")
    (m1, u1, n1, _, _), (m2, u2, n2, body, headers) = user.client.sent
    assert (m1, u1) == ("GET", "http://127.0.0.1:8080/api/auth/session/current/")
    assert (m2, u2) == ("POST", "http://127.0.0.1:8080/api/auth/session/") and user.signed_in
    assert headers["X-CSRFToken"] == "tok123" and "Authorization" not in headers
    assert json.loads(body) == {"username": "elev_anna", "password": "Hemmelig-Kode-42", "facility": "fac1"}
    for method, url, name, _, _ in user.client.sent:  # names and URLs carry no account data
        assert "elev_anna" not in url + name and "Hemmelig" not in url + name
    # a new session later: sign out first, then in again (the cookie is kept, no second cookie request)
    actions.kolibri_new_session(user, "http://127.0.0.1:8080", "pupil: sign in (learning)")
    assert [(m, n) for m, _, n, _, _ in user.client.sent[2:]] == [("DELETE", "pupil: sign out (learning)"),
                                                                  ("POST", "pupil: sign in (learning)")]


def test_kolibri_lessons_open_one_of_the_listed_and_the_teacher_sees_its_class():
    from poc.load import actions
    lessons = b'[{"id": "l1", "title": "Br\\u00f8ker"}, {"id": "l2", "title": "Dansk"}]'
    user = _User({("GET", "/learn/api/learnerlesson/"): (200, lessons)})
    actions.kolibri_open_lesson(user, "http://127.0.0.1:8080/", "pupil: open lesson")
    urls = [u for _, u, _, _, _ in user.client.sent]
    assert urls[0] == "http://127.0.0.1:8080/learn/api/learnerlesson/"
    assert urls[1] in ("http://127.0.0.1:8080/learn/api/learnerlesson/l1/", "http://127.0.0.1:8080/learn/api/learnerlesson/l2/")
    assert all(h.get("Authorization") is None for *_, h in user.client.sent)
    teacher = _User({("GET", "/api/auth/classroom/"): (200, b'[{"id": "c9"}, {"id": "c1"}]')}, role="teacher")
    actions.kolibri_class_lessons(teacher, "http://127.0.0.1:8080", "teacher: look at class lessons")
    assert [u for _, u, _, _, _ in teacher.client.sent] == [
        "http://127.0.0.1:8080/api/auth/classroom/?role=coach", "http://127.0.0.1:8080/api/lessons/lesson/?collection=c1"]
    with pytest.raises(safety.LoadRefused):  # only to declared hosts
        actions.kolibri_my_classes(user, "http://10.0.0.1", "pupil: see my classes")
