"""Office through Collabora Online: WOPI discovery (`office`) and the conversion API (`documents`).

Follows the published documentation (examples replayed in tests/test_adapters_documented.py and tests/test_adapters_recorded.py):

- WOPI discovery, ``GET /hosting/discovery``: an XML ``<wopi-discovery>`` with ``<net-zone>``s
  holding ``<app>``s and their ``<action name ext urlsrc>``s. Collabora names most apps by MIME
  type with ``ext=""``, and some by extension.
  https://sdk.collaboraonline.com/docs/advanced_integration.html (WOPI discovery)
  https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program/online/discovery
- Conversion, ``POST /cool/convert-to/<format>`` with the file as the multipart field ``data``;
  the answer's body is the converted file.
  https://sdk.collaboraonline.com/docs/conversion_api.html
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePosixPath

from . import register
from ._http import Refused, Session

MIME = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Action:
    zone: str
    app: str
    name: str
    ext: str
    urlsrc: str

    def handles(self, ext: str) -> bool:
        return self.ext == ext or (not self.ext and self.app == MIME.get(ext))


def parse_discovery(content: bytes) -> list[Action]:
    root = ET.fromstring(content)
    if root.tag != "wopi-discovery":
        raise ValueError(f"not a WOPI discovery document (root element <{root.tag}>)")
    out = []
    for zone in root.findall("net-zone"):
        for app in zone.findall("app"):
            for action in app.findall("action"):
                out.append(Action(zone.get("name", ""), app.get("name", ""), action.get("name", ""),
                                  action.get("ext", ""), action.get("urlsrc", "")))
    return out


class NoOfficeServer(Refused):
    """Nothing that speaks Collabora's API answers at the office address: the verdict stays the
    suite's `fail` (the capability is declared), and the message says plainly why."""

    def __init__(self, refused: Refused, base: str):
        self.status = refused.status
        Exception.__init__(self, f"no office server answers at {base} (it answered {refused.status} to "
                                 f"{refused.args[0].split(' answered ')[0]}): the suite declares an office "
                                 "server, but none is installed or reachable there (in external mode, name it "
                                 "in the POC_<SUITE>_ENDPOINT_OFFICE variable)")


def _office_call(base: str, call):
    try:
        return call()
    except Refused as exc:
        if exc.status in (404, 410):
            raise NoOfficeServer(exc, base) from None
        raise


@register("wopi")
class WOPIClient:
    """The office server's WOPI side, as a WOPI host (e.g. Nextcloud) sees it."""

    def __init__(self, url: str, account=None, suite=None, *, close_connections: bool = False):
        self.base = url.rstrip("/")
        self.account = account
        self.session = Session(close_connections=close_connections)

    def discovery(self) -> list[Action]:
        r = _office_call(self.base, lambda: self.session.get(self.base + "/hosting/discovery", expect=200))
        return parse_discovery(r.content)

    def actions_for(self, ext: str, name: str | None = None) -> list[Action]:
        return [a for a in self.discovery() if a.handles(ext) and (name is None or a.name == name)]

    def close(self):
        self.session.close()


@register("cool-convert")
class ConvertClient:
    """Collabora Online's conversion API: a document in, the same document in another format out."""

    def __init__(self, url: str, account=None, suite=None, *, close_connections: bool = False):
        self.base = url.rstrip("/")
        self.account = account
        self.session = Session(close_connections=close_connections)

    def convert(self, data: bytes, filename: str, to: str, *, lang: str = "") -> bytes:
        ext = PurePosixPath(filename).suffix.lstrip(".")
        files = {"data": (filename, data, MIME.get(ext, "application/octet-stream"))}
        form = {"lang": lang} if lang else None
        r = _office_call(self.base, lambda: self.session.post(f"{self.base}/cool/convert-to/{to}", files=files,
                                                              data=form, expect=200))
        if not r.content:
            raise ValueError(f"convert-to/{to} of {filename} answered an empty body")
        return r.content

    def round_trip(self, data: bytes, filename: str, via: str) -> tuple[bytes, bytes]:
        """(intermediate, back): e.g. DOCX -> ODT -> DOCX."""
        ext = PurePosixPath(filename).suffix.lstrip(".")
        middle = self.convert(data, filename, via)
        back = self.convert(middle, PurePosixPath(filename).stem + "." + via, ext)
        return middle, back

    def close(self):
        self.session.close()
