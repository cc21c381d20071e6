"""The browser machinery against pages served here, on two local origins (two http.server
threads on 127.0.0.1): a resource from the other origin is a third party, a page with known
accessibility faults is counted by axe-core, a failing step keeps its screenshot and HTML, and the
form login and step language of the ui block work. Needs /usr/bin/chromium (CI installs it) and
axe-core in node_modules/ (`npm ci`)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from poc.suites import Account
from poc.ui import actions, launch, rules
from poc.ui.journey import Journey, StepFailed
from poc.ui.session import open_session
from poc.ui.spec import UiSpec

pytestmark = pytest.mark.skipif(not launch.available(), reason=f"no browser at {launch.CHROMIUM}: "
                                                               f"{launch.INSTALL_HINT}")

SECRET = "Hemmeligt-Kodeord-77"

CLEAN = """<!doctype html><html lang="da"><head><title>Forside</title></head><body><main>
<h1>Velkommen</h1><p>Skolens forside.</p><img src="/logo.png" alt="Skolens logo"></main></body></html>"""

FAULTY = """<!doctype html><html><head><title>Fejl</title></head><body>
<img src="/logo.png"><form><input type="text" name="q"></form>
<p style="color:#bbb;background:#fff">svag kontrast</p></body></html>"""

LOGIN = """<!doctype html><html lang="da"><head><title>Log ind</title></head><body><main>
<form id="f"><label>Brugernavn <input id="u"></label><label>Adgangskode <input id="p" type="password"></label>
<button type="submit">Log ind</button></form><p id="err" role="alert"></p>
<nav id="who" hidden></nav><section id="cal" hidden><label>Titel <input id="t"></label>
<label>Dato <input id="d" type="date"></label><button id="add" type="button">Opret</button><ul id="events"></ul></section>
<script>
document.getElementById('f').onsubmit = (e) => { e.preventDefault();
  if (document.getElementById('p').value === 'rigtigt-kodeord') {
    document.getElementById('f').hidden = true; const w = document.getElementById('who');
    w.textContent = 'Logget ind som ' + document.getElementById('u').value; w.hidden = false;
    document.getElementById('cal').hidden = false;
  } else { document.getElementById('err').textContent = 'Forkert brugernavn eller adgangskode'; } };
document.getElementById('add').onclick = () => { const li = document.createElement('li');
  li.textContent = document.getElementById('t').value + ' ' + document.getElementById('d').value;
  document.getElementById('events').appendChild(li); };
</script></main></body></html>"""


# a sign-in in two steps, like Kolibri's: the user name, Next; a learner is let in at once (and gets a
# welcome dialog), a teacher is asked for the password, an unknown name is refused at the first step
TWO_STEP = """<!doctype html><html lang="da"><head><title>Log ind</title></head><body><main>
<div id="s1"><label>Brugernavn <input id="u"></label><button id="next" type="button">Næste</button>
<p id="fb"></p></div>
<form id="s2" hidden><label>Adgangskode <input id="p" type="password"></label><button type="submit">Log ind</button>
<p id="err"></p></form>
<header id="bar" hidden><button id="menu" type="button">Menu</button><nav id="side" hidden>
<a id="out" href="#">Log ud</a></nav><span id="who"></span></header>
<div id="welcome" role="dialog" hidden><p>Velkommen</p><button id="ok" type="button">Fortsæt</button></div>
<script>
const $ = (id) => document.getElementById(id);
const enter = (name) => { $('s1').hidden = true; $('s2').hidden = true; $('bar').hidden = false;
  $('who').textContent = name; if (name === 'elev.test') setTimeout(() => { $('welcome').hidden = false; }, 200); };
$('next').onclick = () => { const u = $('u').value;
  if (u === 'elev.test') enter(u);
  else if (u === 'laerer.test') { $('s1').hidden = true; $('s2').hidden = false; }
  else $('fb').textContent = 'Brugeren findes ikke'; };
$('s2').onsubmit = (e) => { e.preventDefault();
  if ($('p').value === 'rigtigt-kodeord') enter($('u').value); else $('err').textContent = 'Forkert adgangskode'; };
$('ok').onclick = () => { $('welcome').hidden = true; };
$('menu').onclick = () => { $('side').hidden = false; };
$('out').onclick = (e) => { e.preventDefault(); $('bar').hidden = true; $('side').hidden = true; $('s1').hidden = false;
  $('u').value = ''; };
</script></main></body></html>"""


class Origin:
    """One origin on 127.0.0.1: path -> (content type, body, extra headers)."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ctype, body, headers = origin.routes.get(self.path.split("?")[0], ("text/plain", "nej", {}))
                data = body.encode() if isinstance(body, str) else body
                self.send_response(200 if self.path.split("?")[0] in origin.routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def origins():
    a, b = Origin(), Origin()
    b.routes["/pixel.png"] = ("image/png", PNG, {})
    b.routes["/track.js"] = ("text/javascript", "window.tracked = true;", {})
    a.routes["/logo.png"] = ("image/png", PNG, {})
    a.routes["/clean"] = ("text/html", CLEAN, {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"})
    a.routes["/faulty"] = ("text/html", FAULTY, {})
    a.routes["/tracked"] = ("text/html", CLEAN.replace("</main>", f'<img src="{b.url}/pixel.png" alt="">'
                                                                  f'<script src="{b.url}/track.js"></script></main>'), {})
    a.routes["/login"] = ("text/html", LOGIN, {})
    a.routes["/two-step"] = ("text/html", TWO_STEP, {})
    a.routes["/no-focus-ring"] = ("text/html", LOGIN.replace("</head>", "<style>*:focus{outline:none}</style></head>")
                                  if "</head>" in LOGIN else "<style>*:focus{outline:none}</style>" + LOGIN, {})
    yield a, b
    a.close()
    b.close()


@pytest.fixture(scope="module")
def browser():
    pw, chromium = launch.start()
    yield chromium
    launch.stop(pw, chromium)


def _spec(a, ui=None, extra_origins=()):
    ui = ui or {"login": {"method": "form", "url": "{site}/login", "username": "#u", "password": "#p",
                          "submit": "#f button", "logged_in": "#who", "refused": "#err", "logged_out": "#u"},
                "pages": {"login": {"url": "{site}/login", "ready": "#u", "auth": "none"}}}
    if extra_origins:
        ui = dict(ui, origins=list(extra_origins))
    suite = SimpleNamespace(name="fake", folder=Path("/tmp"), located=None, config={"ui": ui},
                            capabilities={"web-ui": {}})
    dep = SimpleNamespace(endpoints={"site": a.url}, url=None, hosts=lambda: [a.url],
                          accounts={"pupil": Account("pupil", "elev.test", SECRET)})
    return UiSpec(suite, dep)


def _journey(tmp_path, name="j"):
    run = tmp_path / "run"
    return Journey(name, run_dir=run, folder=run / "evidence" / name, scenario=f"tests::{name}")


def test_a_resource_from_another_origin_is_a_third_party(browser, origins, tmp_path):
    a, b = origins
    spec = _spec(a)
    j = _journey(tmp_path, "third")
    s = j.use(open_session(browser, spec, "pupil"))
    with j.step("open a page that loads from the other origin"):
        s.page.goto(f"{a.url}/tracked", wait_until="load")
    j.audit("tracked", run_axe=False)
    assert s.page.evaluate("window.tracked") is True
    assert s.capture.third_parties() == [b.url]
    hosts = {h["origin"]: h for h in s.capture.hosts()}
    assert hosts[a.url]["third_party"] is False and hosts[b.url]["third_party"] is True
    assert set(hosts[b.url]["types"]) == {"image", "script"}
    data = json.loads(j.finish().read_text())
    verdict = rules.judge({"third_party_hosts_max": 0}, data)
    assert not verdict.ok and b.url in verdict.message
    s.close()

    # the same page, with the other origin declared as the suite's own, has no third party
    j2 = _journey(tmp_path, "declared")
    s2 = j2.use(open_session(browser, _spec(a, extra_origins=[b.url]), "pupil"))
    with j2.step("open it again"):
        s2.page.goto(f"{a.url}/tracked", wait_until="load")
    j2.audit("tracked", run_axe=False)
    assert rules.judge({"third_party_hosts_max": 0}, json.loads(j2.finish().read_text())).ok
    s2.close()


def test_axe_counts_the_faults_of_a_faulty_page_and_none_on_a_clean_one(browser, origins, tmp_path):
    a, _ = origins
    spec = _spec(a)
    j = _journey(tmp_path, "axe")
    s = j.use(open_session(browser, spec, "pupil", bypass_csp=True))
    with j.step("open the faulty page"):
        s.page.goto(f"{a.url}/faulty", wait_until="load")
    faulty = j.audit("faulty")
    with j.step("open the clean page"):
        s.page.goto(f"{a.url}/clean", wait_until="load")
    clean = j.audit("clean")
    found = {v["id"]: v for v in faulty["axe"]["violations"]}
    assert {"image-alt", "label", "html-has-lang", "color-contrast"} <= set(found)
    assert found["image-alt"]["impact"] == "critical" and found["html-has-lang"]["impact"] == "serious"
    assert faulty["axe"]["counts"]["critical"] >= 2 and faulty["axe"]["counts"]["serious"] >= 2
    assert found["image-alt"]["nodes"][0]["target"] == "img"
    assert found["image-alt"]["help_url"].startswith("https://dequeuniversity.com/rules/axe/")
    assert clean["axe"]["counts"]["critical"] == clean["axe"]["counts"]["serious"] == 0
    assert faulty["lang"] == "" and clean["lang"] == "da"
    assert clean["timing"]["load_ms"] is not None and clean["timing"]["ttfb_ms"] is not None
    verdict = rules.judge({"axe_max": {"critical": 0, "serious": 0}}, {"pages": [faulty, clean]})
    assert not verdict.ok and "image-alt" in verdict.message
    assert rules.judge({"axe_max": {"critical": 0, "serious": 0}}, {"pages": [clean]}).ok
    assert (clean["observatory"]["score"], clean["observatory"]["grade"]) == (75, "B")  # no CSP: -25
    s.close()


def test_a_failing_step_keeps_a_screenshot_and_the_html_and_names_the_step(browser, origins, tmp_path):
    a, _ = origins
    spec = _spec(a)
    j = _journey(tmp_path, "fails")
    s = j.use(open_session(browser, spec, "pupil", timeout_ms=800))
    with j.step("open the clean page"):
        s.page.goto(f"{a.url}/clean", wait_until="load")
    with pytest.raises(StepFailed) as exc:
        with j.step("wait for a button that never comes"):
            s.page.locator("#never").wait_for(state="visible")
    assert "step 2 (wait for a button that never comes) failed" in str(exc.value)
    assert type(exc.value.__cause__).__name__ == "TimeoutError"  # poc.verdicts classifies it as error
    failed = j.steps[-1]
    assert failed["ok"] is False
    assert (j.run_dir / failed["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    assert "Velkommen" in (j.run_dir / failed["html"]).read_text()
    with pytest.raises(AssertionError, match=r"step 3 \(check the heading\) failed: wrong heading"):
        with j.step("check the heading"):
            assert s.page.locator("h1").inner_text() == "Farvel", "wrong heading"
    data = json.loads(j.path().read_text())
    assert data["outcome"] == "failed" and data["message"].startswith("step 2 (wait for a button")
    s.close()


def test_form_login_refusal_and_steps(browser, origins, tmp_path):
    a, _ = origins
    spec = _spec(a)
    j = _journey(tmp_path, "login")
    s = j.use(open_session(browser, spec, "pupil"))
    with j.step("log in with a wrong password"):
        wrong = actions.login(s, spec, username="elev.test", password=SECRET)
    assert not wrong.ok and wrong.message == "Forkert brugernavn eller adgangskode"
    with j.step("log in"):
        right = actions.login(s, spec, username="elev.test", password="rigtigt-kodeord")
    assert right.ok and actions.logged_in(s.page, spec)
    with j.step("create an event with the ui block's steps"):
        actions.run_steps(s.page, [{"fill": "#t", "value": "{title}"}, {"fill": "#d", "value": "{date}"},
                                   {"click": "#add"}, {"wait": "#events li"}],
                          {"title": "Forældremøde", "date": "2026-03-30"})
    assert s.page.locator("#events li").inner_text() == "Forældremøde 2026-03-30"
    path = j.finish()
    s.close()
    written = path.read_text() + "".join(p.read_text() for p in path.parent.rglob("*.json"))
    assert SECRET not in written  # the wrong password typed in is never kept
    assert [p.name for p in (j.run_dir / "evidence" / "login").iterdir()] and \
        all(SECRET not in p.name for p in (j.run_dir / "evidence" / "login").iterdir())


def test_two_step_sign_in_records_whether_the_password_was_asked(browser, origins, tmp_path):
    a, _ = origins
    spec = _spec(a, {"login": {"method": "form", "url": "{site}/two-step", "username": "#u", "next": "#next",
                               "password": "#p", "submit": "#s2 button", "logged_in": "#who",
                               "refused": "#err, #fb", "logged_out": "#u",
                               "after": [{"click": "#welcome #ok", "optional": True},
                                         {"wait": "#welcome", "state": "hidden"}],
                               "logout": [{"click": "#menu"}, {"click": "#out"}]}})
    s = open_session(browser, spec, "pupil")
    learner = actions.login(s, spec, username="elev.test", password=SECRET)
    assert learner.ok and not learner.password_asked  # let in without being asked: the caller can say so
    assert not actions.visible(s.page, "#welcome")  # the optional step closed the dialog that came
    actions.logout(s, spec)
    assert actions.logged_out(s.page, spec)
    wrong = actions.login(s, spec, username="laerer.test", password=SECRET)
    assert not wrong.ok and wrong.password_asked and wrong.message == "Forkert adgangskode"
    s.page.goto("about:blank")
    unknown = actions.login(s, spec, username="ingen.test", password=SECRET)
    assert not unknown.ok and not unknown.password_asked and unknown.message == "Brugeren findes ikke"
    s.page.goto("about:blank")
    teacher = actions.login(s, spec, username="laerer.test", password="rigtigt-kodeord")
    assert teacher.ok and teacher.password_asked  # no welcome dialog: the optional step waited and went on
    s.close()


def test_steps_take_strftime_formats_and_relative_goto(browser, origins):
    import datetime as dt
    a, _ = origins
    s = open_session(browser, _spec(a), "pupil")
    s.page.goto(f"{a.url}/login", wait_until="load")
    day = dt.date(2026, 10, 5)
    actions.run_steps(s.page, [{"goto": "#!/calendar/day/{day:%Y%m%d}"}, {"goto": "clean"},
                               {"wait": "h1"}], {"day": day})
    assert s.page.url == f"{a.url}/clean"
    s.page.goto(f"{a.url}/login", wait_until="load")
    actions.run_steps(s.page, [{"goto": "#!/calendar/day/{day:%Y%m%d}"}], {"day": day})
    assert s.page.url == f"{a.url}/login#!/calendar/day/20261005"
    actions.run_steps(s.page, [{"fill": "#u", "value": "{day:%d}-{month}-{day:%y}"}], {"day": day, "month": "Okt"})
    assert s.page.locator("#u").input_value() == "05-Okt-26"
    s.close()


def test_locale_and_time_zone_are_danish(browser, origins):
    a, _ = origins
    s = open_session(browser, _spec(a), "pupil")
    s.page.goto(f"{a.url}/clean")
    assert s.page.evaluate("navigator.language") == "da-DK"
    assert s.page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "Europe/Copenhagen"
    s.close()


def test_keyboard_reaches_the_fields_and_a_removed_focus_ring_is_noticed(browser, origins, tmp_path):
    from poc.ui import actions
    a, _ = origins
    j = _journey(tmp_path, "keys")
    s = j.use(open_session(browser, _spec(a), "pupil"))
    s.page.goto(f"{a.url}/login", wait_until="load")
    assert actions.tab_to(s.page, "#u") is not None, "Tab never reached the user name field"
    assert actions.focus_visible(s.page, "#u"), "Chromium's own focus ring was not seen"
    assert s.page.locator("#u").evaluate("el => el === document.activeElement"), "the check lost the focus"
    s.page.goto(f"{a.url}/no-focus-ring", wait_until="load")
    assert actions.tab_to(s.page, "#u") is not None
    assert not actions.focus_visible(s.page, "#u"), "a page with outline:none on focus passed as visible"
    assert actions.tab_to(s.page, "#nosuch", presses=5) is None
    s.close()
