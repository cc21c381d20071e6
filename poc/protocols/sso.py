"""The single sign-on capability (``sso``): SAML 2.0 service providers and OpenID Connect relying
parties. The journeys themselves are browser journeys (scenarios/ui/test_sso.py, poc/sso); these
adapters only read what the suite publishes about itself (SAML metadata)."""

from __future__ import annotations

import requests

from . import register


class _SsoAdapter:
    def __init__(self, url: str, account=None, suite=None, **kwargs):
        self.url, self.account, self.suite = url, account, suite

    def close(self) -> None:
        pass


@register("saml")
class SamlServiceProvider(_SsoAdapter):
    """A SAML 2.0 service provider; ``url`` is the page that sends a user to the IdP."""

    def metadata(self, url: str) -> str:
        r = requests.get(url, timeout=15)
        r.raise_for_status()
        return r.text


@register("oidc")
class OidcRelyingParty(_SsoAdapter):
    """An OpenID Connect relying party; ``url`` is the page with its "log in with" button."""
