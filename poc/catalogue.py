"""The requirement catalogue (requirements.yaml): loading, validation and look-up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from . import schema, yamlfile
from .errors import ConfigError

PRIORITIES = ("must", "should", "could", "wont")


@dataclass(frozen=True)
class Requirement:
    id: str
    title: dict
    category: str
    priority: str
    weight: float
    capability: str
    acceptance: dict
    source: str
    assessment: str = "automated"
    service_level: dict = field(default_factory=dict)
    evidence_rule: dict = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


@dataclass
class Catalogue:
    path: Path
    version: str
    specification: dict
    categories: dict  # id -> {"title": {...}, "weight": w}, in file order
    capabilities: dict  # id -> {"description": ..., "implicit": bool}
    requirements: dict  # id -> Requirement, in file order
    located: yamlfile.Located

    @property
    def implicit_capabilities(self) -> set[str]:
        return {c for c, v in self.capabilities.items() if v.get("implicit")}

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def line_of(self, req_id: str) -> int | None:
        for i, r in enumerate(self.located.data["requirements"]):
            if r.get("id") == req_id:
                return self.located.line(("requirements", i))
        return None


def load(path: Path | str) -> Catalogue:
    """Load and validate the catalogue; every problem is raised at once as one ConfigError."""
    located = yamlfile.load(path)
    problems = schema.check(located, "requirements")
    if problems:
        raise ConfigError(problems)
    data = located.data
    categories = {c["id"]: {"title": c["title"], "weight": c["weight"]} for c in data["categories"]}
    capabilities = {c["id"]: {"description": c["description"], "implicit": c.get("implicit", False)}
                    for c in data["capabilities"]}
    requirements: dict[str, Requirement] = {}
    seen_category, seen_cap = set(), set()
    for i, c in enumerate(data["categories"]):
        if c["id"] in seen_category:
            problems.append(located.problem(("categories", i, "id"), f"duplicate category id {c['id']!r}"))
        seen_category.add(c["id"])
    for i, c in enumerate(data["capabilities"]):
        if c["id"] in seen_cap:
            problems.append(located.problem(("capabilities", i, "id"), f"duplicate capability id {c['id']!r}"))
        seen_cap.add(c["id"])
    for i, r in enumerate(data["requirements"]):
        where = ("requirements", i)
        if r["id"] in requirements:
            first = located.line(("requirements", list(requirements).index(r["id"])))
            problems.append(located.problem(where + ("id",), f"duplicate id {r['id']!r} (first at line {first})"))
            continue
        if r["category"] not in categories:
            problems.append(located.problem(where + ("category",),
                                            f"unknown category {r['category']!r}; known: {', '.join(categories)}"))
        if r["capability"] not in capabilities:
            problems.append(located.problem(where + ("capability",),
                                            f"unknown capability {r['capability']!r}; known: {', '.join(capabilities)}"))
        requirements[r["id"]] = Requirement(
            id=r["id"], title=r["title"], category=r["category"], priority=r["priority"],
            weight=float(r["weight"]), capability=r["capability"], acceptance=r["acceptance"],
            source=r["source"], assessment=r.get("assessment", "automated"),
            service_level=r.get("service_level", {}), evidence_rule=r.get("evidence_rule", {}))
    if problems:
        raise ConfigError(problems)
    return Catalogue(Path(path), str(data["version"]), data["specification"], categories, capabilities,
                     requirements, located)
