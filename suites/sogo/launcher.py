"""SOGo as a local suite: Debian's sogod behind its own nginx, PostgreSQL and memcached.

Everything runs on 127.0.0.1 on free ports, as unprivileged system users, with all
configuration and data inside ``self.workdir``.  Nothing under /etc is edited and none
of the machine's own services is started.  See NOTES.md beside this file for the facts
behind each choice.

Layout of the work folder::

    pg/data/        PostgreSQL cluster (owner postgres)
    pg/run/         its unix socket (mode 0700, owner postgres)
    sogo/           GNUstep.conf, Defaults/sogod.plist, sogod.pid (owner sogo)
    nginx/          nginx.conf, pid, access log, temp dirs (owner www-data)
"""
from __future__ import annotations

import base64
import hashlib
import os
import plistlib
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from poc.lifecycle.local import LocalLauncher, SuiteStartError, log_tail

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SOGOD = "/usr/sbin/sogod"
WEB_RESOURCES = "/usr/lib/GNUstep/SOGo/WebServerResources/"
SYSTEM_GNUSTEP_CONF = Path("/etc/GNUstep/GNUstep.conf")  # read only, never edited

PG_USER = "postgres"
SOGO_USER = "sogo"
NGINX_USER = "www-data"
MEMCACHED_USER = "memcache"

DB_NAME = "sogo"
DB_ROLE = "sogo"
USER_TABLE = "sogo_users"


# SOGo 5.8's own tables, as sogod itself creates them (pg_dump -s of a fresh run), for
# the combined layout (OCSStoreURL/OCSAclURL/OCSCacheFolderURL: nine tables in all
# instead of three per calendar or address book).  sogo_alarms_folder is left out:
# e-mail alarms are off.
SOGO_SCHEMA = """
CREATE TABLE sogo_user_profile (
    c_uid varchar(255) PRIMARY KEY, c_defaults text, c_settings text);
CREATE TABLE sogo_folder_info (
    c_folder_id serial, c_path varchar(255) PRIMARY KEY, c_path1 varchar(255) NOT NULL,
    c_path2 varchar(255), c_path3 varchar(255), c_path4 varchar(255),
    c_foldername varchar(255) NOT NULL, c_location varchar(2048),
    c_quick_location varchar(2048), c_acl_location varchar(2048),
    c_folder_type varchar(255) NOT NULL);
CREATE TABLE sogo_sessions_folder (
    c_id varchar(255) PRIMARY KEY, c_value varchar(4096) NOT NULL,
    c_creationdate integer NOT NULL, c_lastseen integer NOT NULL);
CREATE TABLE sogo_store (
    c_folder_id integer NOT NULL, c_name varchar(255) NOT NULL, c_content text NOT NULL,
    c_creationdate integer NOT NULL, c_lastmodified integer NOT NULL,
    c_version integer NOT NULL, c_deleted integer,
    PRIMARY KEY (c_folder_id, c_name));
CREATE TABLE sogo_acl (
    c_folder_id integer NOT NULL, c_object varchar(255) NOT NULL,
    c_uid varchar(255) NOT NULL, c_role varchar(80) NOT NULL);
CREATE INDEX sogo_acl_c_folder_id_idx ON sogo_acl (c_folder_id);
CREATE INDEX sogo_acl_c_uid_idx ON sogo_acl (c_uid);
CREATE TABLE sogo_cache_folder (
    c_uid varchar(255) NOT NULL, c_path varchar(255) NOT NULL, c_parent_path varchar(255),
    c_type smallint NOT NULL, c_creationdate integer NOT NULL,
    c_lastmodified integer NOT NULL, c_version integer NOT NULL DEFAULT 0,
    c_deleted smallint NOT NULL DEFAULT 0, c_content text,
    PRIMARY KEY (c_uid, c_path));
CREATE TABLE sogo_quick_contact (
    c_folder_id integer NOT NULL, c_name varchar(255) NOT NULL, c_givenname varchar(255),
    c_cn varchar(255), c_sn varchar(255), c_screenname varchar(255), c_l varchar(255),
    c_mail text, c_o varchar(255), c_ou varchar(255), c_telephonenumber varchar(255),
    c_categories varchar(255), c_component varchar(10) NOT NULL, c_hascertificate integer,
    PRIMARY KEY (c_folder_id, c_name));
CREATE TABLE sogo_quick_appointment (
    c_folder_id integer NOT NULL, c_name varchar(255) NOT NULL, c_uid varchar(255) NOT NULL,
    c_startdate integer, c_enddate integer, c_cycleenddate integer,
    c_title varchar(1000) NOT NULL, c_participants text, c_isallday integer,
    c_iscycle integer, c_cycleinfo text, c_classification integer NOT NULL,
    c_isopaque integer NOT NULL, c_status integer NOT NULL, c_priority integer,
    c_location varchar(255), c_orgmail varchar(255), c_partmails text, c_partstates text,
    c_category varchar(255), c_sequence integer, c_component varchar(10) NOT NULL,
    c_nextalarm integer, c_description text,
    PRIMARY KEY (c_folder_id, c_name));
"""


def ssha256(password: str) -> str:
    """Salted SHA-256 in the {SSHA256} scheme SOGo verifies (Dovecot layout: hash + salt)."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha256(password.encode("utf-8") + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode("ascii")


def sql_literal(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


class Launcher(LocalLauncher):
    apt_packages = ["sogo", "postgresql", "memcached", "nginx-light"]
    required_commands = [SOGOD, str(PG_BIN / "initdb"), "memcached", "nginx"]
    workers = 4         # sogod prefork workers (WOWorkersCount); each serves one request
    sogod_grace = 3.0   # seconds idle workers get to exit on SIGTERM before SIGKILL

    # ------------------------------------------------------------------ start

    def start(self) -> dict[str, str]:
        self._procs_by_role: dict[str, subprocess.Popen] = {}
        try:
            self._prepare_workdir()
            self._start_postgres()
            self._create_database()
            self._start_memcached()
            self._start_sogod()
            self._start_nginx()
            base = f"http://127.0.0.1:{self.web_port}"
            # through nginx: the login page and one of the scripts it loads
            self.wait_http(f"{base}/SOGo/", self._procs_by_role["nginx"], timeout=30)
            self.wait_http(f"{base}/SOGo.woa/WebServerResources/js/Common.js",
                           self._procs_by_role["nginx"], timeout=10)
            # single sign-on (IAM-05): a second sogod as SAML service provider of the harness's IdP,
            # when the run brings one (poc/sso sets self.sso before start; suites/sogo/sso.py)
            self.sso_info = (_sso_module().start(self, self.sso["saml"])
                             if (getattr(self, "sso", None) or {}).get("saml") else None)
        except BaseException:
            self.stop()  # leave nothing half-started behind; stop() is idempotent
            raise
        # no trailing slashes, so suite.yaml can write "{dav}/{user}/Calendar/personal/"
        return {"web": base, "sogo": f"{base}/SOGo", "dav": f"{base}/SOGo/dav",
                **(self.sso_info["endpoints"] if self.sso_info else {})}

    def _prepare_workdir(self) -> None:
        # The services run as system users: they must be able to traverse to their folders.
        os.chmod(self.workdir, 0o711)
        self.pg_dir = self.workdir / "pg"
        self.sogo_dir = self.workdir / "sogo"
        self.nginx_dir = self.workdir / "nginx"
        for d, owner in ((self.pg_dir, PG_USER), (self.sogo_dir, SOGO_USER),
                         (self.nginx_dir, NGINX_USER)):
            d.mkdir(mode=0o700)
            self._chown(d, owner)
        for user in (PG_USER, SOGO_USER, NGINX_USER):
            try:
                self.run(["test", "-x", str(self.workdir)], user=user)
            except Exception as exc:  # noqa: BLE001 - reworded for the operator
                closed = [str(p) for p in self.workdir.parents if not os.stat(p).st_mode & 0o001]
                raise SuiteStartError(
                    f"system user {user!r} cannot reach the work folder {self.workdir}: "
                    "every folder above it must be searchable by others (o+x); "
                    f"not searchable: {', '.join(closed) or '?'}") from exc

    @staticmethod
    def _chown(path: Path, user: str) -> None:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)

    # ------------------------------------------------------------ PostgreSQL

    def _start_postgres(self) -> None:
        data, sock = self.pg_dir / "data", self.pg_dir / "run"
        sock.mkdir(mode=0o700)
        self._chown(sock, PG_USER)
        self.pg_port = self.free_port()
        self.pg_socket = sock
        self.db_password = secrets.token_urlsafe(24)
        pwfile = self.pg_dir / "superuser.pw"
        pwfile.write_text(secrets.token_urlsafe(24) + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile, PG_USER)
        # initdb refuses to run as root; local socket = trust (the socket folder is 0700,
        # so only postgres and root reach it), TCP = scram passwords.
        self.run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                  "--pwfile", str(pwfile), "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync", "--no-instructions"],
                 user=PG_USER, cwd=str(self.pg_dir))
        pwfile.unlink()
        proc = self.spawn("postgres", [
            str(PG_BIN / "postgres"), "-D", str(data),
            "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.pg_port}",
            "-c", f"unix_socket_directories={sock}",
            "-c", "max_connections=200",  # sogod keeps ~1-3 connections per worker
            "-c", "logging_collector=off",
        ], user=PG_USER, cwd=str(self.pg_dir))
        self._procs_by_role["postgres"] = proc
        self._wait_until(lambda: subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", str(sock), "-p", str(self.pg_port)]
        ).returncode == 0, proc, "PostgreSQL accepting connections", timeout=30)

    def _psql(self, sql: str, db: str = "postgres") -> str:
        """Run SQL as the superuser over the private socket.

        The SQL goes through a 0600 file, not argv: it may hold the database password
        or password hashes, and argv ends up in `ps` and in the run log.
        """
        script = self.pg_dir / f"script-{secrets.token_hex(4)}.sql"
        script.write_text(sql)
        script.chmod(0o600)
        self._chown(script, PG_USER)
        try:
            return self.run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                             "-h", str(self.pg_socket), "-p", str(self.pg_port),
                             "-U", "postgres", "-d", db, "-f", str(script)],
                            user=PG_USER, cwd=str(self.pg_dir)).stdout
        finally:
            script.unlink(missing_ok=True)

    def _create_database(self) -> None:
        self._psql(f"CREATE ROLE {DB_ROLE} LOGIN PASSWORD {sql_literal(self.db_password)};")
        self._psql(f"CREATE DATABASE {DB_NAME} OWNER {DB_ROLE} ENCODING 'UTF8' "
                   "TEMPLATE template0;")
        # The SQL user source.  c_mailaccess only serves ModulesConstraints (Mail off).
        self._psql(f"""
            SET ROLE {DB_ROLE};
            CREATE TABLE {USER_TABLE} (
                c_uid        varchar(256) PRIMARY KEY,
                c_name       varchar(256) NOT NULL UNIQUE,
                c_password   varchar(256) NOT NULL,
                c_cn         varchar(256),
                mail         varchar(256),
                c_role       varchar(64),
                c_mailaccess varchar(8) NOT NULL DEFAULT 'no'
            );""", db=DB_NAME)
        # SOGo's own tables, named by the OCS*/SOGoProfileURL settings below.  sogod
        # creates missing ones itself, but its 4 workers race at start (3 of 4 log
        # "creation failed ... already exists"), so they are created here first.
        self._psql(f"SET ROLE {DB_ROLE};\n" + SOGO_SCHEMA, db=DB_NAME)

    def _db_url(self, table: str) -> str:
        return (f"postgresql://{DB_ROLE}:{self.db_password}@127.0.0.1:{self.pg_port}"
                f"/{DB_NAME}/{table}")

    # ------------------------------------------------------------- memcached

    def _start_memcached(self) -> None:
        self.memcached_port = self.free_port()
        proc = self.spawn("memcached", [_which("memcached"), "-l", "127.0.0.1",
                                        "-p", str(self.memcached_port), "-U", "0",
                                        "-m", "64", "-c", "1024"],
                          user=MEMCACHED_USER, cwd="/")
        self._procs_by_role["memcached"] = proc
        self._wait_until(lambda: self._tcp_open(self.memcached_port), proc,
                         "memcached listening", timeout=10)

    @staticmethod
    def _tcp_open(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    # ----------------------------------------------------------------- sogod

    def sogo_defaults(self) -> dict:
        """The sogod defaults domain.  It overrides /etc/sogo/sogo.conf key by key."""
        return {
            "WOPort": f"127.0.0.1:{self.sogo_port}",
            "WOWorkersCount": self.workers,
            "WOListenQueueSize": 64,  # default 5: refused connections under load
            "WOLogFile": "-",
            "WOPidFile": str(self.sogo_dir / "sogod.pid"),
            "WONoDetach": "YES",
            "SOGoProfileURL": self._db_url("sogo_user_profile"),
            "OCSFolderInfoURL": self._db_url("sogo_folder_info"),
            "OCSSessionsFolderURL": self._db_url("sogo_sessions_folder"),
            "OCSEMailAlarmsFolderURL": self._db_url("sogo_alarms_folder"),
            "OCSStoreURL": self._db_url("sogo_store"),
            "OCSAclURL": self._db_url("sogo_acl"),
            "OCSCacheFolderURL": self._db_url("sogo_cache_folder"),
            "SOGoUserSources": [{
                "type": "sql",
                "id": "directory",
                "viewURL": self._db_url(USER_TABLE),
                "canAuthenticate": "YES",
                "isAddressBook": "YES",
                "displayName": "Brugere",
                "userPasswordAlgorithm": "ssha256",
                "prependPasswordScheme": "YES",
                # no IMAP server here: Mail is offered to nobody (c_mailaccess is 'no')
                "ModulesConstraints": {"Mail": {"c_mailaccess": "yes"}},
            }],
            "SOGoMemcachedHost": f"127.0.0.1:{self.memcached_port}",
            "SOGoLanguage": "Danish",
            "SOGoTimeZone": "Europe/Copenhagen",
            "SOGoFirstDayOfWeek": 1,
            "SOGoLoginModule": "Calendar",
            "SOGoPasswordChangeEnabled": "NO",
            "SOGoAppointmentSendEMailNotifications": "NO",
            "SOGoACLsSendEMailNotifications": "NO",
            "SOGoFoldersSendEMailNotifications": "NO",
            "SOGoEnableEMailAlarms": "NO",
            "SOGoMailDomain": "skole.test",
            "SOGoIMAPServer": f"imap://127.0.0.1:{self.dead_port}",
            "SOGoSieveServer": f"sieve://127.0.0.1:{self.dead_port}",
            "SOGoMailingMechanism": "smtp",
            "SOGoSMTPServer": f"smtp://127.0.0.1:{self.dead_port}",
            "SOGoVacationEnabled": "NO",
            "SOGoForwardEnabled": "NO",
            "SOGoSieveScriptsEnabled": "NO",
            "SOGoMailAuxiliaryUserAccountsEnabled": "NO",
            "SOGoCalendarDAVAccessEnabled": "YES",
            "SOGoAddressBookDAVAccessEnabled": "YES",
            "SOGoEncryptionKey": secrets.token_hex(16),
            "SOGoPageTitle": "SOGo (OS2skole PoC)",
            # the suite's admin account is SOGo's administrator (its Administration module: other
            # users' folders and rights); SOGo has no other notion of an administrator
            "SOGoSuperUsernames": [a.username for a in (self.accounts or []) if a.role == "admin"],
        }

    def _start_sogod(self) -> None:
        self.sogo_port = self.free_port()
        self.dead_port = self.free_port()  # deliberately nothing listens here (no mail)
        defaults_dir = self.sogo_dir / "Defaults"
        home = self.sogo_dir / "home"
        for d in (defaults_dir, home):
            d.mkdir(mode=0o700)
            self._chown(d, SOGO_USER)
        plist = defaults_dir / "sogod.plist"
        plist.write_bytes(plistlib.dumps(self.sogo_defaults(), fmt=plistlib.FMT_XML))
        plist.chmod(0o600)  # holds the database password
        self._chown(plist, SOGO_USER)
        # GNUstep finds the user defaults through GNUstep.conf; GNUSTEP_CONFIG_FILE
        # points it at our copy, whose GNUSTEP_USER_DEFAULTS_DIR is the folder above.
        # (HOME is ignored: GNUstep takes the home folder from the passwd entry.)
        conf = self.sogo_dir / "GNUstep.conf"
        system = SYSTEM_GNUSTEP_CONF.read_text() if SYSTEM_GNUSTEP_CONF.exists() else ""
        kept = [line for line in system.splitlines()
                if not re.match(r"\s*GNUSTEP_USER_(DEFAULTS_DIR|CONFIG_FILE)\s*=", line)]
        conf.write_text("\n".join(kept + [
            f"GNUSTEP_USER_DEFAULTS_DIR={defaults_dir}",
            "GNUSTEP_USER_CONFIG_FILE=",
        ]) + "\n")
        conf.chmod(0o644)
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "TZ": "Europe/Copenhagen",
            "GNUSTEP_CONFIG_FILE": str(conf),
        }
        # The same settings on the command line (highest precedence) for the few that
        # matter to process control, so `ps` shows them.
        argv = [SOGOD, "-WONoDetach", "YES", "-WOLogFile", "-",
                "-WOPidFile", str(self.sogo_dir / "sogod.pid"),
                "-WOPort", f"127.0.0.1:{self.sogo_port}",
                "-WOWorkersCount", str(self.workers)]
        proc = self.spawn("sogod", argv, env=env, cwd=str(home), user=SOGO_USER)
        self._procs_by_role["sogod"] = proc
        self.wait_http(f"http://127.0.0.1:{self.sogo_port}/SOGo/", proc, timeout=60)

    # ----------------------------------------------------------------- nginx

    def _nginx_conf(self) -> str:
        n = self.nginx_dir
        up = f"http://127.0.0.1:{self.sogo_port}"
        return f"""\
# generated by suites/sogo/launcher.py; runs as {NGINX_USER}, never as a daemon
worker_processes 2;
pid {n}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {n}/access.log;
    client_body_temp_path {n}/client_body;
    proxy_temp_path {n}/proxy;
    fastcgi_temp_path {n}/fastcgi;
    uwsgi_temp_path {n}/uwsgi;
    scgi_temp_path {n}/scgi;
    sendfile on;
    server_tokens off;
    server {{
        listen 127.0.0.1:{self.web_port};
        server_name 127.0.0.1;
        client_max_body_size 50m;
        location = / {{ return 302 /SOGo/; }}
        location = /.well-known/caldav {{ return 301 /SOGo/dav/; }}
        location = /.well-known/carddav {{ return 301 /SOGo/dav/; }}
        location ^~ /SOGo.woa/WebServerResources/ {{
            alias {WEB_RESOURCES};
        }}
        location ^~ /SOGo/WebServerResources/ {{
            alias {WEB_RESOURCES};
        }}
        location ^~ /SOGo {{
            proxy_pass {up};
            proxy_redirect {up} default;
            proxy_http_version 1.0;
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header x-webobjects-server-protocol HTTP/1.0;
            proxy_set_header x-webobjects-remote-host $remote_addr;
            proxy_set_header x-webobjects-server-name $http_host;
            proxy_set_header x-webobjects-server-url $scheme://$http_host;
            proxy_set_header x-webobjects-server-port $server_port;
            proxy_set_header x-webobjects-remote-user "";
            proxy_connect_timeout 90;
            proxy_send_timeout 90;
            proxy_read_timeout 90;
            # small buffers make the login POST (large Set-Cookie headers) end in 502
            proxy_buffer_size 128k;
            proxy_buffers 64 128k;
            proxy_busy_buffers_size 256k;
            proxy_temp_file_write_size 256k;
            client_body_buffer_size 128k;
        }}
    }}
}}
"""

    def _start_nginx(self) -> None:
        self.web_port = self.free_port()
        conf = self.nginx_dir / "nginx.conf"
        conf.write_text(self._nginx_conf())
        conf.chmod(0o644)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.nginx_dir / sub).mkdir(mode=0o700)
            self._chown(self.nginx_dir / sub, NGINX_USER)
        argv = [_which("nginx"), "-p", str(self.nginx_dir), "-c", str(conf), "-e", "stderr",
                "-g", "daemon off;"]
        self.run(argv[:-2] + ["-t"], user=NGINX_USER, cwd=str(self.nginx_dir))
        self._procs_by_role["nginx"] = self.spawn("nginx", argv, user=NGINX_USER,
                                                  cwd=str(self.nginx_dir))

    # -------------------------------------------------------------- accounts

    def create_accounts(self, accounts) -> None:
        if not getattr(self, "pg_port", None):
            raise SuiteStartError("create_accounts() needs a started suite (call start() first)")
        rows = []
        for a in accounts:
            rows.append("(" + ", ".join(sql_literal(v) for v in (
                a.username, a.username, ssha256(a.password), a.display_name or a.username,
                a.email, getattr(a, "role", None))) + ")")
        if not rows:
            return
        self._psql(f"INSERT INTO {USER_TABLE} (c_uid, c_name, c_password, c_cn, mail, c_role) "
                   "VALUES " + ", ".join(rows) + " ON CONFLICT (c_uid) DO UPDATE SET "
                   "c_password = EXCLUDED.c_password, c_cn = EXCLUDED.c_cn, "
                   "mail = EXCLUDED.mail, c_role = EXCLUDED.c_role;", db=DB_NAME)

    def provision_school(self, school) -> dict:
        """`python -m poc provision`: the school's teachers and pupils as rows of the SQL user
        source (one upsert, as create_accounts). SOGo has no notion of a class, so the classes
        are not made; a user's calendar and address book appear when first used."""
        self.create_accounts(list(school.people))
        return {"users": len(school.people), "classes": 0,
                "note": "SOGo has no classes: only the users are provisioned"}

    # --------------------------------------------------------------- version

    def version(self) -> str:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "sogo"],
                             capture_output=True, text=True)
        v = out.stdout.strip()
        return f"SOGo {v.split('-')[0]} (Debian package sogo {v})" if v else "SOGo (unknown)"

    # ------------------------------------------------------------------ stop

    def stop(self) -> None:
        procs = getattr(self, "_procs_by_role", {})
        for role in ("sogod-sso", "sogod"):
            sogod = procs.get(role)
            if sogod is not None and sogod.poll() is None:
                self._stop_sogod(sogod)
        for role in ("nginx-sso", "nginx", "memcached"):
            if role in procs:
                self.stop_process(procs[role], timeout=15)
        pg = procs.get("postgres")
        if pg is not None and pg.poll() is None:
            # fast shutdown: roll back open transactions, checkpoint, exit.  pg_ctl finds
            # the postmaster through its pid file, so this also works when the spawned
            # process is a wrapper around postgres (a plain SIGTERM would mean "smart"
            # shutdown, which waits for every client to disconnect).
            try:
                self.run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.pg_dir / "data"),
                          "-m", "fast", "-w", "-t", "30"], user=PG_USER, cwd=str(self.pg_dir))
            except Exception:  # noqa: BLE001 - fall back to signals below
                pass
            self.stop_process(pg, timeout=10)
        super().stop()

    def _stop_sogod(self, proc: subprocess.Popen) -> None:
        """SIGTERM to the watchdog, which forwards it to its workers.

        An idle worker only notices at its next run-loop wake-up (it polls with a
        30 s timeout), so a plain SIGTERM takes 8-30 s.  After a short grace the
        remaining workers get SIGKILL by PID (they called setsid(), so they are in
        neither the watchdog's process group nor its session); the watchdog then sees
        them gone and exits.  Works whether proc is sogod itself or a wrapper
        (runuser, setpriv, ...) that started it.
        """
        tree = _process_tree(proc.pid)
        sogods = [pid for pid in tree if tree[pid][1] == "sogod"]
        watchdogs = [pid for pid in sogods if tree.get(tree[pid][0], (0, ""))[1] != "sogod"]
        workers = [pid for pid in sogods if pid not in watchdogs]
        for pid in watchdogs:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.sogod_grace
        while time.monotonic() < deadline and any(_alive(pid, "sogod") for pid in workers):
            time.sleep(0.2)
        for pid in workers:
            if _alive(pid, "sogod"):
                _signal(pid, signal.SIGKILL)
        self.stop_process(proc, timeout=15)
        for pid in watchdogs + workers:  # only if the watchdog hung or a wrapper left it
            if _alive(pid, "sogod"):
                _signal(pid, signal.SIGKILL)

    # --------------------------------------------------------------- helpers

    def _wait_until(self, check, proc, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SuiteStartError(f"{what}: process exited with {proc.returncode}\n"
                                      + self._log_tail(proc))
            if check():
                return
            time.sleep(0.2)
        raise SuiteStartError(f"{what}: not ready after {timeout:.0f} s\n" + self._log_tail(proc))

    def _log_tail(self, proc) -> str:
        name = next((r for r, p in self._procs_by_role.items() if p is proc), "server")
        path = self.logdir / f"{name}.log"
        return f"Last lines of {path}:\n" + log_tail(path, 30)


def _sso_module():
    """suites/sogo/sso.py (the launcher is loaded by path, so its neighbour is too)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("poc_suite_sogo_sso", Path(__file__).with_name("sso.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _which(command: str) -> str:
    """Absolute path of a command, also when the caller's PATH lacks the sbin folders."""
    found = shutil.which(command, path=os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
         "/usr/bin", "/sbin", "/bin"]))
    if not found:
        raise SuiteStartError(f"command not found: {command}")
    return found


def _stat(pid: int | str) -> tuple[int, str, str] | None:
    """(ppid, command name, state) of a process, from /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": the command name may hold spaces or ")"
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    state, ppid = stat[stat.rindex(")") + 1:].split()[:2]
    return int(ppid), name, state


def _process_tree(root: int) -> dict[int, tuple[int, str]]:
    """root and all its descendants: pid -> (ppid, command name)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(entry.name)):
            table[int(entry.name)] = (st[0], st[1])
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table and pid not in tree:
            tree[pid] = table[pid]
            todo.extend(p for p, (ppid, _) in table.items() if ppid == pid)
    return tree


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int, comm: str) -> bool:
    """pid still runs (not a zombie) and is still the program we started."""
    st = _stat(pid)
    return st is not None and st[1] == comm and st[2] not in ("Z", "X")
