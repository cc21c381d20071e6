"""A school to provision on a suite, built deterministically from a size and a seed.

``build("S", seed=7)`` always gives the same classes (``0.a`` to ``9.c``), the same teachers and
pupils with the same Danish names (poc/data/names.yaml) and usernames, and the same class lists:
two runs with the same seed provision the same school on every suite. Only the passwords are
random: each person gets a fresh one from ``secrets`` when the school is built; it lives in
memory only (never in ``repr``, a file or a log) and is not part of what makes two schools equal.

Usernames follow one rule that every suite accepts (Kolibri is the strictest: letters, digits and
``_``, at most 30 characters): the first name and the surname in lower case, transliterated to
ASCII (``æ``→``ae``, ``ø``→``oe``, ``å``→``aa``, other accents dropped), everything but
``[a-z0-9]`` removed, joined by ``_``; a number is added where two people would get the same
name (``soeren_moeller``, ``soeren_moeller2``).

Sizes: ``XS`` is one class of 25 pupils with 2 teachers; ``S`` is 24 classes with 600 pupils
(22 to 28 a class) and 48 teachers, every class with one class teacher and a few subject teachers.
The teachers of a size follow scenarios/load/sizes.yaml and the ratio in behaviour.yaml (about one
teacher per 12 pupils), so a real-length load stage has an account for every simulated teacher.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

NAMES_FILE = Path(__file__).resolve().parent / "data" / "names.yaml"
EMAIL_DOMAIN = "skole.example.dk"
USERNAME_MAX = 30
USERNAME_RULE = re.compile(r"^[a-z0-9_]{1,30}$")
GRADES = tuple(range(10))  # 0. klasse (børnehaveklasse) to 9. klasse
LETTERS = ("a", "b", "c")
PASSWORD_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PASSWORD_LOWER = "abcdefghijkmnopqrstuvwxyz"
PASSWORD_SYMBOLS = "-.!+"


@dataclass(frozen=True)
class Size:
    name: str
    classes: int
    pupils: int
    teachers: int


def _pupils(size: str) -> int:
    """The pupils of a school size, from the one place the sizes and their sources are kept
    (scenarios/load/sizes.yaml, shared with the load profiles)."""
    from .load import data
    return data.size(size).pupils


def _teachers(size: str) -> int:
    """The teachers of a school size: the load profiles' own count (teachers_per_pupil in behaviour.yaml)."""
    from .load import data
    return data.size(size).teachers


SIZES = {
    "XS": Size("XS", classes=1, pupils=_pupils("XS"), teachers=_teachers("XS")),
    "S": Size("S", classes=24, pupils=_pupils("S"), teachers=_teachers("S")),
}


@dataclass(frozen=True)
class Person:
    """A pupil or a teacher; has the attributes a suite's launcher reads from a test account."""

    username: str
    first_name: str
    last_name: str
    role: str                 # "pupil" or "teacher"
    classes: tuple[str, ...]  # the class names: a pupil's one class, a teacher's classes
    password: str = field(default="", repr=False, compare=False)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"

    def public(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "classes": list(self.classes)}


@dataclass(frozen=True)
class SchoolClass:
    name: str                 # "7.b"
    grade: int
    letter: str
    pupils: tuple[str, ...]   # usernames
    teachers: tuple[str, ...]  # usernames; the first is the class teacher


@dataclass(frozen=True)
class School:
    size: str
    seed: int
    name: str
    classes: tuple[SchoolClass, ...]
    teachers: tuple[Person, ...]
    pupils: tuple[Person, ...]

    @property
    def people(self) -> tuple[Person, ...]:
        return self.teachers + self.pupils

    def person(self, username: str) -> Person:
        for p in self.people:
            if p.username == username:
                return p
        raise KeyError(username)

    def counts(self) -> dict[str, int]:
        return {"classes": len(self.classes), "teachers": len(self.teachers), "pupils": len(self.pupils),
                "memberships": sum(len(c.pupils) for c in self.classes),
                "teacher_assignments": sum(len(c.teachers) for c in self.classes)}

    def public(self) -> dict:
        """Everything about the school but the passwords (safe to write and to show)."""
        return {"name": self.name, "size": self.size, "seed": self.seed, "counts": self.counts(),
                "classes": [{"name": c.name, "pupils": list(c.pupils), "teachers": list(c.teachers)}
                            for c in self.classes],
                "people": [p.public() for p in self.people]}

    def fingerprint(self) -> str:
        """A short hash of everything but the passwords: equal for equal size and seed."""
        return hashlib.sha256(json.dumps(self.public(), sort_keys=True, ensure_ascii=False)
                              .encode("utf-8")).hexdigest()[:16]

    def sample(self, n: int = 5) -> list[Person]:
        """A deterministic sample of n people to check: a teacher and pupils from the first and
        the last class first, then others picked by the seed."""
        picked: list[Person] = []
        first, last = self.classes[0], self.classes[-1]
        for username in (first.teachers[0], first.pupils[0], last.pupils[-1]):
            p = self.person(username)
            if p not in picked:
                picked.append(p)
        rest = [p for p in self.people if p not in picked]
        random.Random(f"sample:{self.seed}").shuffle(rest)
        return (picked + rest)[:max(n, 0)]


# -- names and usernames ---------------------------------------------------------------------------
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def ascii_name(text: str) -> str:
    """Lower-case ASCII letters and digits only: æ→ae, ø→oe, å→aa, accents dropped, the rest removed."""
    text = unicodedata.normalize("NFKD", text.translate(_DANISH))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def username_for(first: str, last: str, taken: set[str]) -> str:
    """first_last by the rule above, unique among `taken` (which it then joins), at most 30 characters."""
    base = f"{ascii_name(first)}_{ascii_name(last)}".strip("_") or "bruger"
    base = base[:USERNAME_MAX]
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = str(n)
        name = base[:USERNAME_MAX - len(suffix)] + suffix
    taken.add(name)
    return name


@lru_cache(maxsize=1)
def names() -> dict:
    data = yaml.safe_load(NAMES_FILE.read_text(encoding="utf-8"))
    return {"first": list(data["first_names"]["girls"]) + list(data["first_names"]["boys"]),
            "last": list(data["surnames"])}


def _person_name(rng: random.Random) -> tuple[str, str]:
    n = names()
    first = rng.choice(n["first"])
    last = rng.choice(n["last"])
    if rng.random() < 0.15:  # a double surname now and then: "Møller Jensen"
        other = rng.choice(n["last"])
        if other != last:
            last = f"{last} {other}"
    return first, last


# -- the school ------------------------------------------------------------------------------------
def class_names(size: Size, rng: random.Random) -> list[tuple[int, str]]:
    """(grade, letter) of each class, in school order (0.a, 0.b, ..., 9.c)."""
    if size.classes == 1:
        return [(rng.choice(GRADES), "a")]
    per_grade = {g: 1 for g in GRADES}
    extra = size.classes - len(GRADES)
    if extra < 0 or extra > len(GRADES) * (len(LETTERS) - 1):
        raise ValueError(f"size {size.name}: {size.classes} classes do not fit grades 0-9 with a-c")
    # every grade gets an a; the b and then the c classes go to grades the seed picks
    with_b = sorted(rng.sample(GRADES, min(extra, len(GRADES))))
    with_c = sorted(rng.sample(with_b, extra - len(with_b)))
    for g in with_b + with_c:
        per_grade[g] += 1
    return [(g, LETTERS[i]) for g in GRADES for i in range(per_grade[g])]


def _class_sizes(size: Size, rng: random.Random) -> list[int]:
    """Pupils per class: as even as the total allows, then shuffled by the seed within 22-28."""
    n = size.classes
    sizes = [size.pupils // n + (1 if i < size.pupils % n else 0) for i in range(n)]
    if n > 1:
        low, high = min(sizes) - 3, max(sizes) + 3
        for _ in range(n * 2):
            i, j = rng.sample(range(n), 2)
            if sizes[i] > low and sizes[j] < high:
                sizes[i] -= 1
                sizes[j] += 1
    return sizes


def build(size: str = "XS", seed: int = 1, *, reserved: set[str] | frozenset[str] = frozenset(),
          passwords: bool = True) -> School:
    """The school of this size and seed. `reserved` usernames (e.g. a suite's test accounts) are
    never given out; `passwords=False` leaves them empty (for tests that only compare schools)."""
    try:
        spec = SIZES[size.upper()]
    except KeyError:
        raise ValueError(f"unknown school size {size!r}; the sizes are: {', '.join(SIZES)}") from None
    rng = random.Random(f"os2skole-poc:{spec.name}:{int(seed)}")
    taken = set(reserved)
    layout = class_names(spec, rng)
    sizes = _class_sizes(spec, rng)

    def password() -> str:
        # 16 random characters, then an upper- and a lower-case letter, a digit and a symbol from
        # `secrets`: every character class the common password policies ask for is always there
        # (Moodle's default: at least 8 characters, a digit, a lower- and an upper-case letter and a
        # non-alphanumeric one; token_urlsafe alone may miss any of them). ASCII only: every suite's
        # store takes it (htpasswd, SOGo's SQL table, Kolibri, Nextcloud, Moodle).
        if not passwords:
            return ""
        return (secrets.token_urlsafe(12) + secrets.choice(PASSWORD_UPPER) + secrets.choice(PASSWORD_LOWER)
                + secrets.choice("0123456789") + secrets.choice(PASSWORD_SYMBOLS))

    # teachers: one class teacher per class first, the rest subject teachers in 1-4 classes
    teacher_names = [_person_name(rng) for _ in range(spec.teachers)]
    teacher_users = [username_for(f, last, taken) for f, last in teacher_names]
    class_teachers: list[list[str]] = [[] for _ in layout]
    for i in range(len(layout)):
        class_teachers[i].append(teacher_users[i % len(teacher_users)])
    for t in teacher_users[len(layout):]:
        for i in sorted(rng.sample(range(len(layout)), min(len(layout), rng.randint(1, 4)))):
            if t not in class_teachers[i]:
                class_teachers[i].append(t)

    classes, pupils = [], []
    for (grade, letter), count, teachers in zip(layout, sizes, class_teachers):
        cname = f"{grade}.{letter}"
        members = []
        for _ in range(count):
            first, last = _person_name(rng)
            user = username_for(first, last, taken)
            members.append(user)
            pupils.append(Person(user, first, last, "pupil", (cname,), password()))
        classes.append(SchoolClass(cname, grade, letter, tuple(members), tuple(teachers)))

    teaching = {t: tuple(c.name for c in classes if t in c.teachers) for t in teacher_users}
    teachers = tuple(Person(u, f, last, "teacher", teaching[u], password())
                     for u, (f, last) in zip(teacher_users, teacher_names))
    school_name = f"Testskolen {spec.name}-{int(seed)}"
    return School(spec.name, int(seed), school_name, tuple(classes), teachers, tuple(pupils))
