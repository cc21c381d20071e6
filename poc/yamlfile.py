"""YAML loading that remembers where every value came from, so errors can name file and line.

Every YAML file the harness reads from its users (the catalogue, suite files, assessments, the load
data, a suite's Compose file, the conformance cross-check) is bounded before it is built: at most
MAX_BYTES long, at most MAX_NODES values once its aliases are expanded (a "billion laughs" file of a
few lines expands to 10^9), nested at most MAX_DEPTH deep. A file over a bound is refused with its
file and line, in milliseconds: the check reads the parser's events once and never expands anything.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem

MAX_BYTES = 4 << 20     # requirements.yaml, the largest, is about 100 kB
MAX_NODES = 100_000     # values after expanding aliases; requirements.yaml has about 4,000
MAX_DEPTH = 64          # nesting; the harness's files go 6 deep
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it: 30x quicker


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


def check_bounds(text: str, path: Path | str) -> None:
    """Refuse a YAML text that is too long, nests too deep or whose aliases expand to too many values.

    One pass over the parser's events (the parser keeps a stack of its own, it does not recurse):
    an anchored node's expanded size is remembered when it ends, and every alias adds that size."""
    if len(text) > MAX_BYTES:
        raise ConfigError(Problem(path, None, None, f"refused: {len(text) / (1 << 20):.1f} MB is more than the "
                                                    f"{MAX_BYTES >> 20} MB a harness file may be"))
    total, open_, sizes = 0, [], {}
    try:
        for event in yaml.parse(text, Loader=_FAST):
            if isinstance(event, yaml.AliasEvent):
                total += sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                total += 1
                open_.append((event.anchor, total - 1))
                if len(open_) > MAX_DEPTH:
                    raise ConfigError(Problem(path, event.start_mark.line + 1, None,
                                              f"refused: nested more than {MAX_DEPTH} levels deep"))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, before = open_.pop()
                if anchor:
                    sizes[anchor] = total - before
            else:
                continue
            if total > MAX_NODES:
                raise ConfigError(Problem(path, event.start_mark.line + 1, None,
                                          f"refused: with its aliases expanded the file would hold more than "
                                          f"{MAX_NODES:,} values (the harness's own files hold a few thousand); "
                                          f"this is where it crosses the limit"))
    except yaml.YAMLError:
        return  # not well-formed: the loader that reads it next names the line, in its own words


def safe_load(text: str, path: Path | str):
    """yaml.safe_load (merge keys and all) of a text from a user's file, within the bounds above."""
    check_bounds(text, path)
    return yaml.safe_load(text)


def load(path: Path | str) -> Located:
    """Parse a YAML file; a syntax error becomes a ConfigError naming the file and line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:  # not read into memory at all
            raise ConfigError(Problem(path, None, None, f"refused: {path.stat().st_size / (1 << 20):.1f} MB is "
                                                        f"more than the {MAX_BYTES >> 20} MB a harness file may be"))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(path, None, None, "file not found")) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem(path, None, None, f"not UTF-8 text ({exc.reason})")) from None
    check_bounds(text, path)
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
