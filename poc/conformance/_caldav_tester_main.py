"""caldav-server-tester's own command line, with one change: Basic credentials go out in UTF-8.

python-caldav builds its Basic auth with requests' HTTPBasicAuth, which encodes a text password in
Latin-1, so a password with æ, ø or å would not log in to a server that reads UTF-8 (RFC 7617
section 2.1, and the harness's own adapter, poc/protocols/_http.py). For an ASCII password the bytes
are the same either way. Run as ``python -m poc.conformance._caldav_tester_main --format hints``.
"""

from __future__ import annotations


def main() -> None:
    import caldav.davclient as davclient
    from caldav_server_tester import check_server_compatibility

    from poc.protocols._http import Utf8BasicAuth

    build = davclient.DAVClient.build_auth_object

    def build_auth_object(self, auth_types=None):
        build(self, auth_types)
        if type(self.auth).__name__ == "HTTPBasicAuth":
            password = self.password.decode("utf-8") if isinstance(self.password, bytes) else self.password
            self.auth = Utf8BasicAuth(self.username, password)

    davclient.DAVClient.build_auth_object = build_auth_object
    check_server_compatibility(prog_name="caldav-server-tester")


if __name__ == "__main__":
    main()
