"""Candidate suites, discovered from suites/<name>/suite.yaml."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from . import schema, yamlfile
from .errors import ConfigError, PocError, Problem, UnknownSuite

ROLES = ("pupil", "pupil2", "teacher", "admin")
REFERENCE = "reference"  # the mode of a reference column (e.g. today's cloud suite): nothing runs


def new_password() -> str:
    """A fresh random password that meets the usual password policies (upper and lower case, a
    digit, a symbol: Moodle's default policy among them) and holds Danish letters, so every run
    also checks that the suite takes credentials with æ, ø and å (sent as UTF-8, RFC 7617)."""
    # a letter first: a password starting with "-" reads as an option to command-line tools (litmus)
    return secrets.choice("abcdefghijkmnopqrstuvwxyz") + secrets.token_urlsafe(15) + "-Æø" + secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + \
        secrets.choice("abcdefghijkmnopqrstuvwxyz") + str(secrets.randbelow(10)) + "å"


@dataclass
class Account:
    """A test account. The password lives only in memory and in the environment variable named."""

    role: str
    username: str
    password: str = field(repr=False)
    display_name: str = ""
    email: str = ""
    password_env: str = ""
    # the account's own password where `password` was traded for an app password (Nextcloud)
    login_password: str = field(default="", repr=False)

    @property
    def own_password(self) -> str:
        """The password the person types (a login page, a sign-in check), never an app password."""
        return self.login_password or self.password

    def __post_init__(self):
        self.display_name = self.display_name or self.username
        self.email = self.email or f"{self.username}@skole.example.dk"


@dataclass
class Suite:
    name: str
    folder: Path
    config: dict
    located: yamlfile.Located

    @property
    def mode(self) -> str:
        return self.config["mode"]

    @property
    def capabilities(self) -> dict:
        return self.config.get("capabilities") or {}

    @property
    def is_reference(self) -> bool:
        """Today's solution as a reference column: no servers, assessed from public sources only."""
        return self.mode == REFERENCE

    def title(self, lang: str = "en") -> str:
        return self.config["title"].get(lang) or self.config["title"]["en"]

    def offers(self, capability: str, implicit: set[str] = frozenset()) -> bool:
        return capability in self.capabilities or capability in implicit

    def file(self, name: str) -> Path:
        return self.folder / name

    def sha256(self) -> str:
        return hashlib.sha256(self.file("suite.yaml").read_bytes()).hexdigest()

    def quirk(self, feature: str) -> dict | None:
        for q in self.config.get("quirks", []):
            if q["feature"] == feature:
                return q
        return None

    def accounts(self, *, generate: bool) -> dict[str, Account]:
        """The suite's test accounts, passwords read from their environment variables.

        A local suite (generate=True) gets a fresh random password where the variable is unset;
        a deployment we did not create (compose admin, external) must have it set.
        """
        out, missing = {}, []
        for role, spec in (self.config.get("accounts") or {}).items():
            username = os.environ.get(spec.get("username_env", ""), "") or spec["username"]
            password = os.environ.get(spec["password_env"], "")
            if not password:
                if not generate:
                    missing.append(spec["password_env"])
                    continue
                password = "k" + secrets.token_urlsafe(18)  # never "-" first (read as an option by litmus)
            out[role] = Account(role, username, password, spec.get("display_name", ""), spec.get("email", ""),
                                spec["password_env"])
        if missing:
            raise ConfigError(Problem(self.file("suite.yaml"), None, "accounts",
                                      "set the environment variable(s) " + ", ".join(missing)
                                      + " to the test accounts' passwords (never on the command line)"))
        return out

    def load_module(self, relative: str, name: str):
        """Import a python file from the suite folder (its launcher or adapter)."""
        path = self.folder / relative
        spec = importlib.util.spec_from_file_location(f"poc_suite_{self.name.replace('-', '_')}_{name}", path)
        if spec is None or not path.exists():
            raise ConfigError(Problem(self.file("suite.yaml"), None, name, f"{path} not found"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def suites_dir(root: Path | None = None) -> Path:
    return Path(os.environ.get("POC_SUITES_DIR") or (root or repo_root()) / "suites")


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def names(folder: Path | None = None) -> list[str]:
    folder = folder or suites_dir()
    return sorted(p.parent.name for p in folder.glob("*/suite.yaml"))


def load(name: str, folder: Path | None = None, capabilities: set[str] | None = None) -> Suite:
    """Load one suite by name; an unknown name lists the ones that exist."""
    folder = folder or suites_dir()
    path = folder / name / "suite.yaml"
    if not path.exists():
        raise UnknownSuite(name, names(folder))
    located = yamlfile.load(path)
    problems = schema.check(located, "suite")
    if not problems and located.data.get("adapter"):
        adapter_file = path.parent / located.data["adapter"]
        if not adapter_file.exists():
            problems.append(located.problem(("adapter",), f"{adapter_file} does not exist"))
        else:  # the suite's own protocol adapters register themselves on import
            Suite(name, path.parent, located.data, located).load_module(located.data["adapter"], "adapter")
    if not problems:
        problems += _semantic_problems(located, name, capabilities)
    if problems:
        raise ConfigError(problems)
    return Suite(name, path.parent, located.data, located)


def load_all(folder: Path | None = None, capabilities: set[str] | None = None) -> list[Suite]:
    problems, out = [], []
    for name in names(folder):
        try:
            out.append(load(name, folder, capabilities))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return out


def _semantic_problems(located: yamlfile.Located, name: str, capabilities: set[str] | None) -> list[Problem]:
    from .protocols import registry  # protocols are found by discovery; see poc/protocols/

    data, problems = located.data, []
    if data["name"] != name:
        problems.append(located.problem(("name",), f"name {data['name']!r} differs from its folder {name!r}"))
    mode = data["mode"]
    if mode not in data and mode not in ("external", REFERENCE):
        problems.append(located.problem(("mode",), f"mode {mode!r} needs a {mode!r} section"))
    folder = located.path.parent
    for key in ("local", "compose"):
        if key in data:
            rel = data[key].get("launcher") or data[key].get("file")
            if rel and not (folder / rel).exists():
                problems.append(located.problem((key,), f"{rel} does not exist in {folder}"))
    protocols = registry()
    for cap, spec in (data.get("capabilities") or {}).items():
        if capabilities is not None and cap not in capabilities:
            problems.append(located.problem(("capabilities", cap),
                                            f"unknown capability {cap!r}; the catalogue knows: {', '.join(sorted(capabilities))}"))
        if spec["protocol"] not in protocols:
            problems.append(located.problem(("capabilities", cap, "protocol"),
                                            f"unknown protocol {spec['protocol']!r}; adapters exist for: {', '.join(sorted(protocols))}"))
    return problems


def refuse_reference(suite: Suite) -> None:
    """A reference column has no servers: evaluating, loading or provisioning it is bad input (exit 2)."""
    if suite.is_reference:
        raise PocError(f"suite {suite.name!r} is a reference column (mode: reference in "
                       f"suites/{suite.name}/suite.yaml): there is no server to evaluate. It is assessed from "
                       f"public sources only (suites/{suite.name}/assessments.yaml) and shown beside the candidates "
                       f"in the comparison: run `make compare` (add ASSESSMENTS=all to count its proposed "
                       f"assessments), or `python -m poc assess {suite.name}` for its checklist.")

