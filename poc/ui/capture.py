"""What a browser context sent and received: every request (with its origin, and whether that
origin is one of the suite's own), the headers of every document, and the cookies it holds.

Query strings are cut from the URLs kept (they may carry tokens); cookie values are never kept.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from .spec import origin_of

IGNORED_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")
DOCUMENT_TYPES = ("document",)
SECURITY_HEADERS = ("content-security-policy", "strict-transport-security", "x-content-type-options",
                    "referrer-policy", "x-frame-options", "permissions-policy", "cross-origin-opener-policy",
                    "cross-origin-resource-policy", "access-control-allow-origin", "content-type",
                    "content-language", "server", "x-powered-by", "cache-control")


def short_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


class Capture:
    """Attach to a Playwright BrowserContext before its first page opens."""

    def __init__(self, context, own_origins: list[str]):
        self.context = context
        self.own = {origin_of(o) for o in own_origins}
        self.requests: list[dict] = []
        self.documents: list[dict] = []
        self._by_request: dict[int, dict] = {}
        self.auth_prompts: list[dict] = []  # HTTP auth challenges dismissed (see poc.ui.session)
        self._cookies: list[dict] | None = None
        self._t0 = time.time()
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_failed)
        context.on("page", self._on_page)
        for page in context.pages:
            self._on_page(page)

    # -- events ---------------------------------------------------------------------------------
    def _on_page(self, page):
        page.on("websocket", lambda ws: self._record(ws.url, "GET", "websocket"))

    def _record(self, url: str, method: str, kind: str, frame_url: str = "") -> dict | None:
        scheme = urlsplit(url).scheme.lower()
        if scheme in IGNORED_SCHEMES or not scheme:
            return None
        origin = origin_of(url)
        rec = {"url": short_url(url), "method": method, "type": kind, "origin": origin,
               "third_party": origin not in self.own, "status": None, "failed": None,
               "page": short_url(frame_url) if frame_url else "", "t": round(time.time() - self._t0, 3)}
        self.requests.append(rec)
        return rec

    def _on_request(self, request):
        try:
            frame_url = request.frame.url
        except Exception:  # a service worker's request has no frame
            frame_url = ""
        rec = self._record(request.url, request.method, request.resource_type, frame_url)
        if rec is not None:
            self._by_request[id(request)] = rec

    def _on_response(self, response):
        rec = self._by_request.get(id(response.request))
        if rec is None:
            return
        rec["status"] = response.status
        if response.request.resource_type in DOCUMENT_TYPES:
            headers = response.headers  # lower-case names; cookie headers are left out by Playwright
            self.documents.append({
                "url": rec["url"], "origin": rec["origin"], "status": response.status,
                "main_frame": _is_main_frame(response.request),
                "headers": {k: v for k, v in headers.items() if k in SECURITY_HEADERS},
            })

    def _on_failed(self, request):
        rec = self._by_request.get(id(request))
        if rec is not None:
            rec["failed"] = request.failure or "failed"

    # -- views ----------------------------------------------------------------------------------
    def hosts(self) -> list[dict]:
        """One row per origin contacted: how many requests of which kinds, and whether it is a third party."""
        out: dict[str, dict] = {}
        for r in self.requests:
            row = out.setdefault(r["origin"], {"origin": r["origin"], "host": urlsplit(r["origin"]).netloc,
                                               "third_party": r["third_party"], "requests": 0, "types": []})
            row["requests"] += 1
            if r["type"] not in row["types"]:
                row["types"].append(r["type"])
        return sorted(out.values(), key=lambda h: (not h["third_party"], h["origin"]))

    def third_parties(self) -> list[str]:
        return [h["origin"] for h in self.hosts() if h["third_party"]]

    def freeze(self) -> None:
        """Keep the cookies as they are now (call before the context closes)."""
        try:
            self._cookies = self.cookies()
        except Exception:
            self._cookies = self._cookies or []

    def cookies(self) -> list[dict]:
        if self._cookies is not None:
            return list(self._cookies)
        now = time.time()
        out = []
        for c in self.context.cookies():
            expires = c.get("expires", -1)
            session = expires is None or expires < 0
            out.append({"name": c["name"], "domain": c["domain"], "path": c.get("path", "/"),
                        "session": session, "lifetime_s": None if session else max(0, round(expires - now)),
                        "secure": bool(c.get("secure")), "http_only": bool(c.get("httpOnly")),
                        "same_site": c.get("sameSite") or "None"})
        return out

    def snapshot(self) -> dict:
        return {"own_origins": sorted(self.own), "hosts": self.hosts(), "requests": list(self.requests),
                "documents": list(self.documents), "cookies": self.cookies(), "auth_prompts": list(self.auth_prompts)}


def _is_main_frame(request) -> bool:
    try:
        frame = request.frame
        return frame.parent_frame is None
    except Exception:
        return False
