"""The `external` mode: a deployment that is already running, reached by its URL.

Used by vendors against their hosted offer and by a municipality against its test instance.
Passwords come only from the environment variables the suite file names, never from the command
line or a file.

- ``PROVISION=1`` (default): the suite's provisioning adapter (``provision.via`` in suite.yaml,
  e.g. Nextcloud's OCS or Moodle's web services), signed in as the admin named in the suite's
  ``external.admin``, creates the test accounts with fresh random passwords (or the ones set in
  their variables), and the run deletes them again at its end.
- ``PROVISION=0``: the test accounts already exist; their user names and passwords are read from
  the variables named in suite.yaml (``username_env``/``password_env``); nothing is created.
- ``KEEP=1``: nothing the run created is removed.

The :class:`Provisioner` here is shared with the compose mode.
"""

from __future__ import annotations

import os
import re
import secrets

import requests

from ..errors import ConfigError, Problem, SuiteStartError
from ..redact import add as add_secret
from ..redact import redact
from ..suites import Account, new_password
from . import Deployment, mode


def endpoint_env(suite_name: str, endpoint: str) -> str:
    """POC_<SUITE>_ENDPOINT_<NAME>: overrides one endpoint of a running deployment."""
    clean = re.sub(r"[^A-Z0-9]+", "_", f"{suite_name}_ENDPOINT_{endpoint}".upper())
    return f"POC_{clean}"


def resolve_endpoints(suite, base: str, overrides: dict | None = None) -> dict[str, str]:
    """The suite's named endpoints for a deployment at `base`: an environment override first,
    then the deployment's own (`overrides`, e.g. from the Compose file), then the suite's template."""
    base = base.rstrip("/")
    out = {}
    for name, template in suite.config.get("endpoints", {}).items():
        out[name] = (os.environ.get(endpoint_env(suite.name, name)) or (overrides or {}).get(name)
                     or template.format(url=base))
    out.setdefault("url", base)
    return out


class Provisioner:
    """Test accounts on a deployment the harness did not start: created and removed through the
    suite's provisioning adapter, or taken from the environment; app passwords where the suite
    asks for them."""

    def __init__(self, deployment: Deployment, mode_section: str):
        self.d = deployment
        self.suite = deployment.suite
        self.settings = self.suite.config.get("provision") or {}
        self.section = self.suite.config.get(mode_section) or {}
        self.created: list[Account] = []
        self.app_password_accounts: list[Account] = []
        self.admin_client = None

    # -- accounts --------------------------------------------------------------------------------
    def _from_env(self, role: str, spec: dict, *, required: bool, generate: bool) -> Account | None:
        username = os.environ.get(spec.get("username_env", ""), "") or spec["username"]
        password = os.environ.get(spec["password_env"], "")
        if not password:
            if generate:
                password = new_password()
            elif required:
                raise ConfigError(Problem(self.suite.file("suite.yaml"), None, f"accounts.{role}",
                                          f"set the environment variable {spec['password_env']} to the {role} "
                                          f"account's password (never on the command line)"))
            else:
                return None
        return Account(role, username, password, spec.get("display_name", ""), spec.get("email", ""),
                       spec["password_env"])

    def accounts(self) -> dict[str, Account]:
        specs = dict(self.suite.config["accounts"])
        if self.section.get("admin"):
            specs["admin"] = {**specs.get("admin", {}), **self.section["admin"]}
        if self.settings.get("accounts") == "none":  # a suite that holds no user data (e.g. Collabora alone)
            out = {r: self._from_env(r, s, required=False, generate=True) for r, s in specs.items()}
        elif self.d.provision:
            if not self.via():
                raise SuiteStartError(
                    f"suite {self.suite.name!r} has no provisioning adapter (provision.via in suite.yaml), so the "
                    f"harness cannot create test accounts on it: give existing accounts with PROVISION=0 and the "
                    f"variables {', '.join(s['password_env'] for s in specs.values())}")
            out = {r: self._from_env(r, s, required=(r == "admin"), generate=(r != "admin"))
                   for r, s in specs.items()}
        else:
            out = {r: self._from_env(r, s, required=(r != "admin"), generate=False) for r, s in specs.items()}
        out = {r: a for r, a in out.items() if a is not None}
        add_secret(*(a.password for a in out.values()))
        return out

    def via(self) -> str | None:
        cap = self.settings.get("via")
        return cap if cap and cap in self.suite.capabilities else None

    def _client(self, account: Account):
        from ..protocols import adapter
        cap = self.via()
        return adapter(self.suite.capabilities[cap]["protocol"])(self.d.url_for(cap, account), account, self.suite)

    # -- provisioning and app passwords -------------------------------------------------------------
    def provision(self) -> None:
        if not (self.d.provision and self.via() and self.settings.get("accounts") != "none"):
            return
        admin = self.d.accounts.get("admin")
        if admin is None:
            raise SuiteStartError(f"suite {self.suite.name!r}: provisioning needs the admin account")
        self.admin_client = self._client(admin)
        for role, account in self.d.accounts.items():
            if role == "admin":
                continue
            try:
                created = self.admin_client.ensure_user(account)
            except Exception as exc:
                raise SuiteStartError(f"{self.suite.name}: could not create the {role} account "
                                      f"{account.username!r}: {redact(str(exc))}") from None
            if created:
                self.created.append(account)
                self.d.progress(f"created the {role} account {account.username}")
            else:
                self.d.progress(f"the {role} account {account.username} existed: its password was set for this "
                                "run and it is not removed afterwards")

    def use_app_passwords(self) -> None:
        """Trade every account's password for an app password (suite.yaml provision.app_passwords).
        The real passwords are kept in memory: the admin's for the clean-up (which revokes the app
        passwords), the others for scenarios about signing in with one's own password."""
        if not (self.settings.get("app_passwords") and self.via()):
            return
        for role, account in self.d.accounts.items():
            client = self._client(account)
            try:
                token = client.app_password()
            except Exception as exc:
                raise SuiteStartError(f"{self.suite.name}: the {role} account {account.username!r} could not get "
                                      f"an app password: {redact(str(exc))}") from None
            finally:
                client.close()
            add_secret(token)
            account.login_password = account.password
            account.password = token
            self.app_password_accounts.append(account)
        if self.admin_client is not None:  # go on provisioning with the admin's app password
            self.admin_client.close()
            self.admin_client = self._client(self.d.accounts["admin"])

    def product_version(self) -> str:
        """What the provisioning adapter says of the product's version (Moodle's site info), if anything."""
        info = getattr(self.admin_client, "site_info", None) if self.admin_client is not None else None
        if not callable(info):
            return ""
        try:
            data = info()
        except Exception:  # noqa: BLE001 - a version is a nicety, never a reason to stop
            return ""
        release = data.get("release", "") if isinstance(data, dict) else ""
        return f"{self.suite.name.capitalize()} {release}".strip() if release else ""

    # -- clean-up --------------------------------------------------------------------------------
    def _admin_for_cleanup(self):
        """The admin's client for the clean-up, signed in with the admin's real password (an app
        password may be revoked, or be the one thing the deployment stopped accepting)."""
        admin = self.d.accounts["admin"]
        real = getattr(admin, "login_password", "") or admin.password
        from dataclasses import replace
        return self._client(replace(admin, password=real))

    def cleanup(self) -> list[dict]:
        """Remove what the run created, unless KEEP. Returns what is left on the deployment, each
        as {"what", "why", "how"}: named so a person can remove it, and the run says so."""
        left: list[dict] = []
        if self.d.keep:
            if self.created:
                self.d.progress("KEEP: the test accounts stay: " + ", ".join(a.username for a in self.created))
            return left
        if self.admin_client is not None:
            self.admin_client.close()
            self.admin_client = None
        if self.created:
            admin = self._admin_for_cleanup()
            try:
                for account in self.created:
                    try:
                        admin.delete_user(account.username)
                        self.d.progress(f"removed the {account.role} account {account.username}")
                    except Exception as exc:
                        left.append({"what": f"the {account.role} account {account.username}",
                                     "why": redact(str(exc)), "how": self._how_to_remove(admin, account.username)})
            finally:
                admin.close()
        # the accounts that stay (given, or existing before): revoke the app passwords the run made,
        # the admin's last, since it is the one the clean-up above needed
        removed = {a.username for a in self.created} - {a["what"].rsplit(" ", 1)[-1] for a in left}
        for account in sorted(self.app_password_accounts, key=lambda a: a.role == "admin"):
            if account.username in removed:
                continue  # its app passwords went with the account
            client = self._client(account)
            try:
                client.delete_app_password()
            except Exception as exc:
                left.append({"what": f"an app password of {account.username} (named 'os2skole-poc' or the "
                                     "harness's user agent in the account's devices and sessions)",
                             "why": redact(str(exc)),
                             "how": f"revoke it as {account.username} in Personal settings, Security, "
                                    "Devices & sessions"})
            finally:
                client.close()
        self.created = []
        self.app_password_accounts = []
        for item in left:
            self.d.progress(f"warning: clean-up left {item['what']} ({item['why']}); to remove it: {item['how']}")
        return left

    def _how_to_remove(self, admin_client, username: str) -> str:
        hint = getattr(admin_client, "removal_hint", None)
        if callable(hint):
            return hint(username)
        return f"delete the user {username!r} as an administrator of {self.suite.name}"


def suite_version(deployment: Deployment, default: str) -> str:
    """What the suite's status capability says about its version, if it has one."""
    if "status" not in deployment.suite.capabilities:
        return default
    from ..protocols import adapter
    client = adapter(deployment.suite.capabilities["status"]["protocol"])(deployment.url_for("status"))
    try:
        ok, body = client.healthy()
        text = body.get("versionstring") or body.get("version") or ""
        product = body.get("productname") or ""
        return f"{product} {text}".strip() or default
    except Exception:
        return default
    finally:
        client.close()


@mode("external")
class ExternalDeployment(Deployment):
    def up(self) -> None:
        if not self.url:
            env = (self.suite.config.get("external") or {}).get("url_env")
            self.url = os.environ.get(env, "") if env else ""
        if not self.url:
            raise SuiteStartError(f"suite {self.suite.name!r} in external mode needs a URL (make evaluate "
                                  f"SUITE={self.suite.name} URL=https://...)")
        if not self.url.startswith(("http://", "https://")):
            raise SuiteStartError(f"URL must start with http:// or https://, got {self.url!r}")
        base = self.url.rstrip("/")
        self.endpoints = resolve_endpoints(self.suite, base)
        try:
            requests.get(base, timeout=10, headers={"Connection": "close"})
        except requests.RequestException as exc:
            raise SuiteStartError(f"{base} does not answer: {type(exc).__name__}: {exc}") from None
        self.provisioner = Provisioner(self, "external")
        self.accounts = self.provisioner.accounts()
        self.progress(f"using the running deployment at {base} "
                      f"({'creating test accounts' if self.provision else 'existing test accounts'})")
        self.provisioner.provision()
        self.provisioner.use_app_passwords()
        self.version = suite_version(self, "") or self.provisioner.product_version() or "external"
        from .. import sso  # SSO=saml|oidc: the harness's IdP, which the vendor registered (README, vendors)
        self.sso = sso.prepare(self)
        sso.finish(self, self.sso)

    def down(self) -> None:
        from .. import sso
        sso.stop(getattr(self, "sso", None), self)
        provisioner = getattr(self, "provisioner", None)
        if provisioner is not None:
            self.left_behind += provisioner.cleanup()
