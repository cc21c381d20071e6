"""JSON-schema checks of the YAML files, reported as problems with file, line and field."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from .errors import Problem
from .yamlfile import Located

SCHEMAS = Path(__file__).parent / "schemas"


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def check(located: Located, name: str) -> list[Problem]:
    """All schema violations of one file, each located at the line of the offending value."""
    validator = jsonschema.Draft202012Validator(schema(name))
    problems = []
    for error in sorted(validator.iter_errors(located.data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = tuple(error.absolute_path)
        problems.append(located.problem(where, _message(error)))
    return problems


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    return error.message
