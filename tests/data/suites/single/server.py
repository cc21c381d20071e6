"""A single-origin local server for the external-mode tests: real WsgiDAV (files, /files) and real
Radicale (calendars and contacts, /dav) under one cheroot WSGI server on 127.0.0.1, plus a small
admin API (/admin/users) that adds and removes accounts in both. Started and stopped by the tests
(by PID); passwords reach it only through its environment.

    python server.py PORT WORKDIR      # admin password in SINGLE_ADMIN_PASSWORD
    SINGLE_REFUSE_DELETE=1             # the admin may create accounts but not delete them (403),
                                       # as on a deployment whose admin lacks that right
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import sys
import threading
from pathlib import Path

from cheroot import wsgi
from passlib.hash import sha512_crypt
from radicale import Application as Radicale
from radicale import config as radicale_config
from wsgidav.wsgidav_app import WsgiDAVApp

port, work = int(sys.argv[1]), Path(sys.argv[2])
ADMIN = ("admin", os.environ["SINGLE_ADMIN_PASSWORD"])
files_root, htpasswd = work / "files", work / "users"
files_root.mkdir(parents=True, exist_ok=True)
htpasswd.write_text("")
users: dict[str, str] = {}
lock = threading.Lock()

conf = work / "radicale.conf"
conf.write_text(f"""[auth]
type = htpasswd
htpasswd_filename = {htpasswd}
htpasswd_encryption = sha512
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {work / 'collections'}
""")
radicale = Radicale(radicale_config.load([(str(conf), False)]))
dav = WsgiDAVApp({
    "provider_mapping": {"/": str(files_root)}, "mount_path": "/files",
    "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
    "simple_dc": {"user_mapping": {"*": {"nobody": {"password": os.urandom(16).hex()}}}},
    "lock_storage": True, "property_manager": True, "verbose": 1, "logging": {"enable_loggers": []},
})
dav_users = dav.http_authenticator.domain_controller.user_map["*"]


def _save():
    htpasswd.write_text("".join(f"{u}:{sha512_crypt.using(rounds=5000).hash(p)}\n" for u, p in users.items()))
    dav_users.clear()
    dav_users.update({u: {"password": p} for u, p in users.items()} or {"nobody": {"password": os.urandom(16).hex()}})


def admin(environ, start_response):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    given = base64.b64decode(auth[6:]).decode("utf-8", "replace") if auth.startswith("Basic ") else ""
    if not hmac.compare_digest(given.encode("utf-8"), f"{ADMIN[0]}:{ADMIN[1]}".encode("utf-8")):
        start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="admin"'), ("Content-Length", "0")])
        return [b""]
    method, name = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "").strip("/").removeprefix("users").strip("/")
    status, body = "200 OK", {}
    with lock:
        if method == "GET" and not name:
            body = {"users": sorted(users)}
        elif method == "PUT" and name:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            password = json.loads(environ["wsgi.input"].read(length))["password"]
            status = "200 OK" if name in users else "201 Created"
            users[name] = password
            (files_root / name).mkdir(exist_ok=True)
            _save()
        elif method == "DELETE" and name in users and os.environ.get("SINGLE_REFUSE_DELETE") == "1":
            status = "403 Forbidden"
        elif method == "DELETE" and name in users:
            del users[name]
            _save()
        else:
            status = "404 Not Found"
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


server = wsgi.Server(("127.0.0.1", port), wsgi.PathInfoDispatcher({"/dav": radicale, "/files": dav, "/admin": admin}))
print(f"listening on 127.0.0.1:{port}", flush=True)
try:
    server.start()
except KeyboardInterrupt:
    server.stop()
