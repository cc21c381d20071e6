"""The errors the harness reports to its users: each says what is wrong and where."""

from __future__ import annotations


class PocError(Exception):
    """An error with a message meant for the user; the CLI prints it and exits non-zero."""

    exit_code = 2


class ConfigError(PocError):
    """A catalogue, suite or assessment file that is malformed or inconsistent."""

    def __init__(self, problems: list["Problem"] | "Problem"):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Problem:
    """One problem in one file: where (file, line, field) and what."""

    def __init__(self, file, line: int | None, field: str | None, message: str):
        self.file, self.line, self.field, self.message = str(file), line, field, message

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self})"


class UnknownSuite(PocError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown suite {name!r}; the suites are: {', '.join(known) or '(none)'}")


class SuiteStartError(PocError):
    """A suite that could not be started (missing packages, a server that will not come up)."""

    exit_code = 3


class SuiteDied(PocError):
    """A suite process that ended in the middle of a run."""

    exit_code = 4
