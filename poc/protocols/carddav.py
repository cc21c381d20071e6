"""Address books over CardDAV (RFC 6352), on requests; vCards are built and read with vobject."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import vobject

from . import register
from ._http import Session, credentials_accepted
from .webdav import DAV, parse_multistatus

CARD = "{urn:ietf:params:xml:ns:carddav}"


@register("carddav")
class CardDAVClient:
    def __init__(self, url: str, account, suite=None, *, close_connections: bool = False):
        self.url = url if url.endswith("/") else url + "/"
        self.account = account
        self.session = Session(account.username, account.password, close_connections=close_connections)

    def _propfind(self, url: str, props: str, depth: str = "0"):
        body = f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop>{props}</D:prop></D:propfind>'
        r = self.session.request("PROPFIND", url, data=body.encode(), expect=207,
                                 headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        return parse_multistatus(r.content)

    def home(self) -> str:
        """The address-book home set, found from the current user principal (RFC 6352 §7.1)."""
        entry = self._propfind(self.url, "<D:current-user-principal/>")[0]
        principal = entry.props.get(DAV + "current-user-principal")
        href = principal.findtext(DAV + "href") if principal is not None and not isinstance(principal, str) else None
        principal_url = urljoin(self.url, href.strip()) if href else self.url
        entry = self._propfind(principal_url, "<C:addressbook-home-set/>")[0]
        home = entry.props.get(CARD + "addressbook-home-set")
        href = home.findtext(DAV + "href") if home is not None and not isinstance(home, str) else None
        return urljoin(self.url, href.strip()) if href else principal_url

    def addressbooks(self) -> list[str]:
        home = self.home()
        out = []
        for e in self._propfind(home, "<D:resourcetype/><D:displayname/>", depth="1"):
            rt = e.props.get(DAV + "resourcetype")
            if rt is not None and not isinstance(rt, str) and rt.find(CARD + "addressbook") is not None:
                out.append(urljoin(home, e.href))
        return out

    def create_addressbook(self, name: str, display_name: str) -> str:
        url = urljoin(self.home(), name.strip("/") + "/")
        body = ('<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" '
                'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/>'
                f'<C:addressbook/></D:resourcetype><D:displayname>{display_name}</D:displayname></D:prop>'
                '</D:set></D:mkcol>')
        self.session.request("MKCOL", url, data=body.encode("utf-8"), expect=(201,),
                             headers={"Content-Type": "application/xml; charset=utf-8"})
        return url

    def put_card(self, book_url: str, uid: str, card: vobject.base.Component) -> str:
        url = urljoin(book_url, f"{uid}.vcf")
        self.session.put(url, data=card.serialize().encode("utf-8"), expect=(201, 204),
                         headers={"Content-Type": "text/vcard; charset=utf-8"})
        return url

    def get_card(self, url: str) -> vobject.base.Component:
        r = self.session.get(url, expect=200)
        return vobject.readOne(r.content.decode("utf-8"))

    def delete(self, url: str):
        return self.session.delete(url, expect=(200, 204))

    def search(self, book_url: str, prop: str, text: str, match_type: str = "contains") -> list[vobject.base.Component]:
        """addressbook-query REPORT with a text-match filter (RFC 6352 §8.6)."""
        body = ('<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" '
                'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>'
                f'<C:filter><C:prop-filter name="{prop}"><C:text-match collation="i;unicode-casemap" '
                f'match-type="{match_type}">{text}</C:text-match></C:prop-filter></C:filter></C:addressbook-query>')
        r = self.session.request("REPORT", book_url, data=body.encode("utf-8"), expect=207,
                                 headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        cards = []
        for resp in ET.fromstring(r.content).findall(DAV + "response"):
            data = resp.find(f".//{CARD}address-data")
            if data is not None and data.text:
                cards.append(vobject.readOne(data.text))
        return cards

    def password_accepted(self, password: str) -> bool:
        """Does the suite let this account in with that password (a fresh PROPFIND)?"""
        return credentials_accepted(self.url, self.account.username, password)

    def close(self):
        self.session.close()
