"""Files over WebDAV (RFC 4918), on requests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import IO, Iterable
from urllib.parse import quote, unquote, urljoin, urlsplit

from . import register
from ._http import NotImplementedByServer, Session, credentials_accepted

DAV = "{DAV:}"


@dataclass
class Entry:
    href: str
    props: dict  # "{ns}name" -> text (or element for complex values), the props answered 2xx
    failed: dict  # "{ns}name" -> status, the props the server did not give

    @property
    def name(self) -> str:
        return unquote(self.href.rstrip("/").rsplit("/", 1)[-1])

    @property
    def is_collection(self) -> bool:
        rt = self.props.get(DAV + "resourcetype")
        return rt is not None and not isinstance(rt, str) and rt.find(DAV + "collection") is not None


@register("webdav")
class WebDAVClient:
    """A WebDAV client rooted at one URL (a user's home folder). Paths are relative to it and
    may hold any characters (æøå, spaces): they are percent-encoded here."""

    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        self.root = url if url.endswith("/") else url + "/"
        self.account = account
        self.session = Session(account.username, account.password, close_connections=close_connections)

    def url(self, path: str = "") -> str:
        return urljoin(self.root, quote(path.lstrip("/"), safe="/"))

    def path_of(self, href: str) -> str:
        """The path relative to the root of an href from a multistatus answer."""
        root = urlsplit(self.root).path
        return unquote(urlsplit(href).path)[len(unquote(root)):]

    def same_resource(self, href: str, path: str) -> bool:
        """Whether an href from the server names the resource at `path`, compared as URLs: the
        server may escape differently (%c3%a6 or %C3%A6, an escaped or a plain character) and
        write a collection with or without its trailing slash."""
        return resource_key(urljoin(self.root, href)) == resource_key(self.url(path))

    def dav_classes(self, path: str = "") -> list[str]:
        """The compliance classes in the DAV header of OPTIONS (RFC 4918 section 10.1)."""
        r = self.session.request("OPTIONS", self.url(path), expect=None)
        return [c.strip() for c in r.headers.get("DAV", "").split(",") if c.strip()]

    # -- verbs ---------------------------------------------------------------------------------
    def put(self, path: str, data: bytes | IO | Iterable[bytes], *, content_type="application/octet-stream",
            expect=(200, 201, 204), headers=None):
        return self.session.put(self.url(path), data=data, expect=expect,
                                headers={"Content-Type": content_type, **(headers or {})})

    def get(self, path: str, *, stream=False, expect=200):
        return self.session.get(self.url(path), stream=stream, expect=expect)

    def mkcol(self, path: str, expect=201):
        return self.session.request("MKCOL", self.url(path.rstrip("/") + "/"), expect=expect)

    def delete(self, path: str, expect=(200, 204)):
        return self.session.delete(self.url(path), expect=expect)

    def move(self, src: str, dst: str, *, overwrite=False, expect=(201, 204)):
        return self.session.request("MOVE", self.url(src), expect=expect,
                                    headers={"Destination": self.url(dst), "Overwrite": "T" if overwrite else "F"})

    def copy(self, src: str, dst: str, *, overwrite=False, depth="infinity", expect=(201, 204)):
        return self.session.request("COPY", self.url(src), expect=expect,
                                    headers={"Destination": self.url(dst), "Depth": depth,
                                             "Overwrite": "T" if overwrite else "F"})

    def exists(self, path: str) -> bool:
        return self.session.head(self.url(path)).status_code == 200 or \
            self.session.request("PROPFIND", self.url(path), headers={"Depth": "0"}).status_code == 207

    def propfind(self, path: str = "", depth: str = "1", props: list[str] | None = None) -> list[Entry]:
        if props:
            inner = "<D:prop>" + "".join(_prop_xml(p) for p in props) + "</D:prop>"
        else:
            inner = "<D:allprop/>"
        body = f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">{inner}</D:propfind>'
        r = self.session.request("PROPFIND", self.url(path), data=body.encode(), expect=207,
                                 headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        return parse_multistatus(r.content)

    def listdir(self, path: str = "") -> list[str]:
        return sorted(e.name for e in self.propfind(path, "1", [DAV + "resourcetype"])
                      if not self.same_resource(e.href, path))

    def proppatch(self, path: str, props: dict[str, str]):
        sets = "".join(f'<D:set><D:prop>{_prop_xml(k, v)}</D:prop></D:set>' for k, v in props.items())
        body = f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:">{sets}</D:propertyupdate>'
        r = self.session.request("PROPPATCH", self.url(path), data=body.encode(), expect=207,
                                 headers={"Content-Type": "application/xml; charset=utf-8"})
        return parse_multistatus(r.content)

    def lock(self, path: str, owner: str = "os2skole-poc", timeout: int = 60) -> str:
        body = ('<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
                '</D:lockscope><D:locktype><D:write/></D:locktype>'
                f'<D:owner>{owner}</D:owner></D:lockinfo>')
        try:
            r = self.session.request("LOCK", self.url(path), data=body.encode(), expect=(200, 201),
                                     headers={"Timeout": f"Second-{timeout}", "Depth": "0",
                                              "Content-Type": "application/xml; charset=utf-8"})
        except NotImplementedByServer as exc:
            classes = self.dav_classes(path)
            why = ("LOCK not implemented (501)" + ("" if "2" in classes else "; no DAV class 2 (locking)")
                   + f"; the server announces DAV: {', '.join(classes) or 'nothing'}")
            raise NotImplementedByServer(exc.response, why) from None
        token = r.headers.get("Lock-Token", "").strip()
        if not token:
            node = ET.fromstring(r.content).find(f".//{DAV}locktoken/{DAV}href")
            token = f"<{node.text.strip()}>" if node is not None else ""
        return token

    def unlock(self, path: str, token: str, expect=204):
        return self.session.request("UNLOCK", self.url(path), headers={"Lock-Token": token}, expect=expect)

    def password_accepted(self, password: str) -> bool:
        """Does the suite let this account in with that password (a fresh PROPFIND on its root)?"""
        return credentials_accepted(self.root, self.account.username, password)

    def close(self):
        self.session.close()


def resource_key(url: str) -> tuple[str, str, str]:
    """A URL reduced to what names a resource: scheme, host and port in lower case, the path with
    its escapes decoded (so %c3%a6, %C3%A6 and æ are one) and without a trailing slash."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = f"{(parts.hostname or '').lower()}:{port}" if parts.hostname else ""
    return parts.scheme.lower(), host, unquote(parts.path).rstrip("/")


def _prop_xml(name: str, value: str | None = None) -> str:
    ns, _, local = name[1:].partition("}") if name.startswith("{") else ("DAV:", "", name)
    if ns == "DAV:":
        return f"<D:{local}/>" if value is None else f"<D:{local}>{_esc(value)}</D:{local}>"
    return (f'<x:{local} xmlns:x="{_esc(ns)}"/>' if value is None
            else f'<x:{local} xmlns:x="{_esc(ns)}">{_esc(value)}</x:{local}>')


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def parse_multistatus(content: bytes) -> list[Entry]:
    """One Entry per href of a 207 Multi-Status body, its propstats merged."""
    out = []
    for response in ET.fromstring(content).findall(DAV + "response"):
        entry = Entry(response.findtext(DAV + "href", "").strip(), {}, {})
        for propstat in response.findall(DAV + "propstat"):
            words = propstat.findtext(DAV + "status", "HTTP/1.1 200 OK").split()
            status = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            prop = propstat.find(DAV + "prop")
            for child in (prop if prop is not None else []):
                if 200 <= status < 300:
                    entry.props[child.tag] = child if len(child) else (child.text or "")
                else:
                    entry.failed[child.tag] = status
        out.append(entry)
    return out
