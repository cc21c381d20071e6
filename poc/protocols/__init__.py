"""Protocol adapters, registered by protocol name.

A suite declares, per capability, the protocol it speaks (files: webdav, calendar: caldav, ...).
Each module in this package registers the adapters it holds with ``@register("name")``; a suite
folder may add its own adapters in a python file named by ``adapter:`` in its suite.yaml.
"""

from __future__ import annotations

import importlib
import pkgutil

_REGISTRY: dict[str, type] = {}
_DISCOVERED = False


def register(name: str):
    def deco(cls):
        _REGISTRY[name] = cls
        cls.protocol = name
        return cls
    return deco


def registry() -> dict[str, type]:
    global _DISCOVERED
    if not _DISCOVERED:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _DISCOVERED = True
    return _REGISTRY


def adapter(protocol: str) -> type:
    return registry()[protocol]
