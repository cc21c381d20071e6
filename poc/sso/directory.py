"""The identity provider's directory: the school the harness provisions on the suite, with the same
user names, display names (æøå), e-mail addresses and passwords, the role and the class as
attributes. One person more is known to the IdP only (``IDP_ONLY``): the journey that checks what a
suite does with an account it does not know signs in as that person."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from ..redact import add as add_secret

SCHOOL = "OS2skole PoC-skole"
CLASS = "7.b"
# the harness's role name -> eduPersonAffiliation (the values SAML federations such as WAYF use)
AFFILIATION = {"pupil": "student", "pupil2": "student", "teacher": "faculty", "admin": "staff"}
ROLE = {"pupil": "pupil", "pupil2": "pupil", "teacher": "teacher", "admin": "admin"}
IDP_ONLY_ENV = "POC_SSO_IDP_ONLY_PASSWORDS"
IDP_ONLY = {"role": "newcomer", "username": "elev_nyankommen", "display_name": "Åse Brønnum Ødegård",
            "harness_role": "pupil"}


@dataclass
class Person:
    key: str                 # the harness's role name (pupil, teacher, ...) or "newcomer"
    username: str
    display_name: str
    email: str
    role: str                # pupil, teacher or admin
    password: str = field(repr=False)
    classes: list[str] = field(default_factory=list)
    known_to_suite: bool = True

    @property
    def given_name(self) -> str:
        return self.display_name.split(" ")[0]

    @property
    def surname(self) -> str:
        parts = self.display_name.split(" ")
        return " ".join(parts[1:]) if len(parts) > 1 else parts[0]

    def attributes(self) -> dict[str, list[str]]:
        """What the IdP asserts about the person (SAML attribute names, OIDC claims are made from them)."""
        return {"uid": [self.username], "mail": [self.email], "displayName": [self.display_name],
                "cn": [self.display_name], "givenName": [self.given_name], "sn": [self.surname],
                "eduPersonAffiliation": [AFFILIATION.get(self.key, "student" if self.role == "pupil" else "staff")],
                "role": [self.role], "schoolClass": list(self.classes), "o": [SCHOOL]}

    def claims(self) -> dict:
        """The same as OpenID Connect standard claims (plus role and class)."""
        return {"preferred_username": self.username, "name": self.display_name, "given_name": self.given_name,
                "family_name": self.surname, "email": self.email, "email_verified": True, "role": self.role,
                "school_class": ",".join(self.classes), "locale": "da-DK"}


class Directory:
    def __init__(self, people: list[Person]):
        self.people = {p.username: p for p in people}

    @classmethod
    def from_accounts(cls, accounts: dict, email_domain: str | None = None) -> "Directory":
        """The suite's test accounts (role -> poc.suites.Account) plus the IdP-only newcomer."""
        people = []
        for key, a in accounts.items():
            role = ROLE.get(key, key)
            classes = [CLASS] if role in ("pupil", "teacher") else []
            people.append(Person(key, a.username, a.display_name or a.username, a.email, role, a.own_password,
                                 classes))
        password = secrets.token_urlsafe(12) + "-Æå1"
        add_secret(password)
        domain = email_domain or (people[0].email.split("@", 1)[1] if people and "@" in people[0].email
                                  else "skole.example.dk")
        people.append(Person(IDP_ONLY["role"], IDP_ONLY["username"], IDP_ONLY["display_name"],
                             f"{IDP_ONLY['username']}@{domain}", IDP_ONLY["harness_role"], password, [CLASS],
                             known_to_suite=False))
        return cls(people)

    def check(self, username: str, password: str) -> Person | None:
        """The person, if the password is theirs (compared in constant time); None otherwise."""
        person = self.people.get((username or "").strip())
        if person is None:
            hmac.compare_digest(b"x" * 16, (password or "").encode())  # same work for unknown users
            return None
        return person if hmac.compare_digest(person.password.encode(), (password or "").encode()) else None

    def by_key(self, key: str) -> Person | None:
        return next((p for p in self.people.values() if p.key == key), None)

    def public(self) -> list[dict]:
        """The directory without passwords, for the evidence."""
        return [{"key": p.key, "username": p.username, "display_name": p.display_name, "email": p.email,
                 "role": p.role, "classes": p.classes, "known_to_suite": p.known_to_suite}
                for p in self.people.values()]


def export_idp_only(directory: "Directory") -> None:
    """The IdP-only people's passwords, for the scenarios' processes (pytest-xdist workers too),
    through the environment only (as the accounts' passwords: poc.lifecycle.write_state)."""
    import json
    import os
    os.environ[IDP_ONLY_ENV] = json.dumps({p.username: p.password for p in directory.people.values()
                                          if not p.known_to_suite})


def idp_only_password(username: str) -> str:
    import json
    import os
    return json.loads(os.environ.get(IDP_ONLY_ENV, "{}")).get(username, "")
