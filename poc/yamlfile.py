"""YAML loading that remembers where every value came from, so errors can name file and line."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem


class Located:
    """The data of one YAML file plus the line of every node, addressed by its path of keys."""

    def __init__(self, path: Path, data: Any, lines: dict[tuple, int]):
        self.path, self.data, self._lines = Path(path), data, lines

    def line(self, where: tuple | list = ()) -> int | None:
        where = tuple(where)
        while where not in self._lines and where:
            where = where[:-1]
        return self._lines.get(where)

    def problem(self, where, message: str) -> Problem:
        field = ".".join(str(p) for p in where) if where else None
        return Problem(self.path, self.line(where), field, message)


def _construct(node: yaml.Node, path: tuple, lines: dict) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise ConfigError(Problem("", key_node.start_mark.line + 1, ".".join(map(str, path + (key,))), f"duplicate key {key!r}"))
            out[key] = _construct(value_node, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, path + (i,), lines) for i, child in enumerate(node.value)]
    return _scalar(node)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:
    value = _CONSTRUCTOR.construct_object(node, deep=True)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()  # keep the data JSON-shaped: dates stay text
    return value


def load(path: Path | str) -> Located:
    """Parse a YAML file; a syntax error becomes a ConfigError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(path, None, None, "file not found")) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem(path, None, None, f"not UTF-8 text ({exc.reason})")) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(Problem(path, line, None, f"invalid YAML: {exc.problem or exc}")) from None
    lines: dict[tuple, int] = {}
    if node is None:
        return Located(path, None, {(): 1})
    try:
        data = _construct(node, (), lines)
    except ConfigError as exc:
        for p in exc.problems:
            p.file = str(path)
        raise
    except yaml.YAMLError as exc:
        raise ConfigError(Problem(path, None, None, f"invalid YAML: {exc}")) from None
    return Located(path, data, lines)
