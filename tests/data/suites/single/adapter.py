"""The test server's admin API as a provisioning adapter (protocol `single-admin`): the same
ensure_user/delete_user interface that Nextcloud's OCS and Moodle's web services offer."""

from poc.protocols import register
from poc.protocols._http import Session


@register("single-admin")
class SingleAdmin:
    def __init__(self, url, account, suite=None, *, close_connections=False):
        self.url = url.rstrip("/")
        self.session = Session(account.username, account.password)

    def users(self) -> list[str]:
        return self.session.get(self.url + "/users", expect=200).json()["users"]

    def ensure_user(self, account) -> bool:
        r = self.session.put(f"{self.url}/users/{account.username}", json={"password": account.password},
                             expect=(200, 201))
        return r.status_code == 201

    def delete_user(self, username: str) -> None:
        self.session.delete(f"{self.url}/users/{username}", expect=200)

    def close(self):
        self.session.close()
