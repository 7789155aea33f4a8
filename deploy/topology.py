"""The production topology on one machine, on 127.0.0.1 only: `make topology` (people) and tests/topology (tests).

nginx with deploy/nginx/protect.conf (the very file an administrator installs, with its host name, ports,
paths and certificate replaced) and a throwaway self-signed certificate; two gunicorn app servers (separate
processes and instance folders, the same PROTECT_SECRET_KEY, PROTECT_HTTPS=1, PROTECT_PROXY_FIX=1); a
throwaway database on the machine's PostgreSQL server (demo data loaded); a Redis server of its own for the
rate limits. Everything is stopped, and the database dropped, when it ends (Ctrl+C, or the `with` block).

    python -m deploy.topology            # until Ctrl+C
    PROTECT_TOPOLOGY_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres  (the server; the default)
    PROTECT_TOPOLOGY_HTTPS_PORT=8443 PROTECT_TOPOLOGY_HTTP_PORT=8080  (else free ports)
    PROTECT_TOPOLOGY_WORKERS=2  (gunicorn workers per app server)
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "protect.conf"
BROTLI_SNIPPET = ROOT / "deploy" / "nginx" / "protect-brotli.conf"
# Debian's libnginx-mod-http-brotli-filter: when installed, the topology loads it and compresses with brotli too.
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVERS = ("a", "b")


class TopologyError(RuntimeError):
    """Something the topology needs is missing or did not start (the message says what to do)."""


def missing_programs() -> list[str]:
    """The programs the topology needs that this machine lacks (with the Debian package to install)."""
    wanted = {"nginx": "nginx", "redis-server": "redis-server", "openssl": "openssl"}
    return [f"{name} (apt-get install {package})" for name, package in wanted.items() if not which_program(name)]


def which_program(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_url() -> str:
    """The PostgreSQL server the throwaway database is made on."""
    return (
        os.environ.get("PROTECT_TOPOLOGY_DATABASE_URL") or os.environ.get("PROTECT_TEST_DATABASE_URL") or DEFAULT_SERVER
    )


def site_config(
    text_: str,
    *,
    https: int,
    http: int,
    upstreams: list[int],
    static: Path,
    cache: Path,
    cert: Path,
    key: Path,
    snippets: Path,
) -> str:
    """deploy/nginx/protect.conf for 127.0.0.1: each value an administrator changes, replaced (each must be
    found: a renamed value in the file fails here rather than running something else)."""
    replacements = [
        ("listen [::]:80 default_server;\n", ""),
        ("listen [::]:443 ssl http2 default_server;\n", ""),
        ("listen [::]:80;\n", ""),
        ("listen [::]:443 ssl http2;\n", ""),
        ("listen 80", f"listen 127.0.0.1:{http}"),
        ("listen 443", f"listen 127.0.0.1:{https}"),
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https}$request_uri;"),
        ("server_name workspace.example.org;", "server_name localhost;"),
        ("/etc/letsencrypt/live/workspace.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/workspace.example.org/privkey.pem", str(key)),
        ("/srv/protect/app/protect/static/", f"{static}/"),
        ("/var/cache/nginx/protect", str(cache)),
        ("/etc/nginx/snippets/protect-brotli*.conf", f"{snippets}/protect-brotli*.conf"),
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{upstreams[0]} "),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{upstreams[1]} "),
    ]
    for old, new in replacements:
        if old not in text_:
            raise TopologyError(f"deploy/nginx/protect.conf no longer contains {old.strip()!r}")
        text_ = text_.replace(old, new)
    return text_


@dataclass
class AppServer:
    name: str
    port: int
    instance: Path
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Topology:
    """Start with ``with Topology() as topo:``; ``topo.url`` is nginx's https address."""

    workers: int = int(os.environ.get("PROTECT_TOPOLOGY_WORKERS", "2"))
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="protect-topology-"))
        # Fixed ports for people (PROTECT_TOPOLOGY_HTTPS_PORT=8443 PROTECT_TOPOLOGY_HTTP_PORT=8080), free ones else.
        self.https_port = int(os.environ.get("PROTECT_TOPOLOGY_HTTPS_PORT") or 0) or free_port()
        self.http_port = int(os.environ.get("PROTECT_TOPOLOGY_HTTP_PORT") or 0) or free_port()
        self.redis_port = free_port()
        self.servers = {
            name: AppServer(name, free_port(), self.dir / f"instance-{name}", self.dir / f"app-{name}.log")
            for name in SERVERS
        }
        self.database_name = f"protect_topology_{uuid.uuid4().hex[:12]}"
        self.database_url = ""
        self._nginx: subprocess.Popen | None = None
        self._redis: subprocess.Popen | None = None
        self._database_made = False

    # -- addresses ---------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        # A host name, not an address: clients send it in TLS (SNI), and the site's catch-all server refuses the
        # handshake of a client that names no host it serves.
        return f"https://localhost:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.http_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self, server: AppServer | None = None) -> dict[str, str]:
        """What each app server (and a flask command against the topology) runs with."""
        env = {
            **os.environ,
            "PROTECT_DATABASE_URL": self.database_url,
            "PROTECT_SECRET_KEY": self.secret_key,
            "PROTECT_HTTPS": "1",
            "PROTECT_PROXY_FIX": "1",
            "PROTECT_RATELIMIT_STORAGE_URI": self.redis_url,
            "PROTECT_WORKERS": str(self.workers),
            "PROTECT_BASE_URL": self.url,
            # The demo members sign in with their password alone (as in `make run`): the second-factor policy is
            # tested on every route in tests/auth, and these tests are about several servers behind one proxy.
            "PROTECT_REQUIRE_SECOND_FACTOR": "0",
        }
        if server is not None:
            env["PROTECT_INSTANCE_PATH"] = str(server.instance)
            env["PROTECT_BIND"] = f"127.0.0.1:{server.port}"
        return env

    # -- start and stop ----------------------------------------------------------------------------------------
    def __enter__(self) -> Topology:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        missing = missing_programs()
        if missing:
            raise TopologyError("the topology needs " + ", ".join(missing))
        self._make_database()
        self._start_redis()
        self._flask("init-db")
        self._flask("seed-demo", "--if-empty")
        for server in self.servers.values():
            server.instance.mkdir()
            self.start_server(server.name)
        self._start_nginx()

    def stop(self) -> None:
        for process in [self._nginx, *(s.process for s in self.servers.values()), self._redis]:
            _end(process)
        self._nginx = self._redis = None
        for server in self.servers.values():
            server.process = None
        if self._database_made:
            admin = create_engine(
                make_url(server_url()).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))
            admin.dispose()
            self._database_made = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_server(self, name: str) -> None:
        """Start app server ``name`` (again) and wait until its /healthz answers."""
        server = self.servers[name]
        log = server.log.open("ab")
        server.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env(server),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        _wait_until(lambda: _answers(f"{server.url}/healthz"), f"app server {name}", server.process, server.log)

    def kill_server(self, name: str) -> None:
        """Kill app server ``name`` at once (SIGKILL to gunicorn and its workers), as a crash would."""
        server = self.servers[name]
        if server.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
            server.process = None

    def _flask(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "flask", "--app", "protect", *args],
            cwd=ROOT,
            env={**self.env(), "PROTECT_INSTANCE_PATH": str(self.dir / "instance-cli")},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise TopologyError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def _make_database(self) -> None:
        url = make_url(server_url()).set(drivername="postgresql+psycopg")
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.database_name}"'))
        except Exception as error:
            raise TopologyError(
                f"no PostgreSQL server at {url.render_as_string(hide_password=True)} ({error.__class__.__name__}); "
                "set PROTECT_TOPOLOGY_DATABASE_URL to one (apt-get install postgresql)"
            ) from error
        finally:
            admin.dispose()
        self._database_made = True
        self.database_url = url.set(database=self.database_name).render_as_string(hide_password=False)

    def _start_redis(self) -> None:
        log = self.dir / "redis.log"
        with log.open("ab") as out:
            self._redis = subprocess.Popen(  # noqa: S603
                [
                    which_program("redis-server") or "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until(lambda: _connects(self.redis_port), "Redis", self._redis, log)

    def _start_nginx(self) -> None:
        self.nginx = Nginx(self.dir, [self.servers[name].port for name in SERVERS], self.https_port, self.http_port)
        self.nginx.start()
        self._nginx = self.nginx.process


class Nginx:
    """nginx with deploy/nginx/protect.conf in ``folder`` (a throwaway self-signed certificate, its cache, logs and
    temporary files there), in front of the app servers on ``upstreams`` (127.0.0.1 ports). The bench uses it
    too (``make bench``: the public pages through nginx)."""

    def __init__(self, folder: Path, upstreams: list[int], https_port: int | None = None, http_port: int | None = None):
        self.dir = folder
        self.upstreams = upstreams
        self.https_port = https_port or free_port()
        self.http_port = http_port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _end(self.process)
        self.process = None

    def start(self) -> None:
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(  # noqa: S603
            [
                which_program("openssl") or "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        (self.dir / "cache").mkdir(exist_ok=True)
        snippets = self.dir / "snippets"
        snippets.mkdir(exist_ok=True)
        modules = ""
        if BROTLI_MODULE.exists():
            modules = f"load_module {BROTLI_MODULE};\n"
            shutil.copy(BROTLI_SNIPPET, snippets / BROTLI_SNIPPET.name)
        site = site_config(
            SITE.read_text(),
            https=self.https_port,
            http=self.http_port,
            upstreams=self.upstreams,
            static=ROOT / "protect" / "static",
            cache=self.dir / "cache",
            cert=cert,
            key=key,
            snippets=snippets,
        )
        (self.dir / "site.conf").write_text(site)
        temp = {name: self.dir / f"nginx-{name}" for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        # Debian's /etc/nginx/nginx.conf, cut to what the site needs and pointed at the throwaway folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"{modules}{user}worker_processes auto;\npid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'nginx-error.log'};\n"
            "events { worker_connections 1024; }\n"
            "http {\n  sendfile on;\n  tcp_nopush on;\n  types_hash_max_size 2048;\n  server_tokens off;\n"
            "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            f"  access_log {self.dir / 'nginx-access.log'};\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n"
            f"  include {self.dir / 'site.conf'};\n}}\n"
        )
        nginx = which_program("nginx") or "nginx"
        log = self.dir / "nginx-error.log"
        command = [nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
        if checked.returncode != 0:
            raise TopologyError(f"nginx refused the configuration:\n{checked.stderr}")
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_until(lambda: _answers(f"{self.url}/healthz"), "nginx", self.process, log)


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=_UNVERIFIED if url.startswith("https") else None) as r:  # noqa: S310
            return r.status == 200
    except OSError:
        return False


def _wait_until(ready, what: str, process: subprocess.Popen | None, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise TopologyError(f"{what} did not start:\n{tail}")


def _end(process: subprocess.Popen | None) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s."""
    if process is None or process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def main() -> int:
    stop = []
    for ending in (signal.SIGTERM, signal.SIGHUP):  # a kill, or the terminal closed: stop everything all the same
        signal.signal(ending, lambda *_: stop.append(1))
    try:
        with Topology() as topo:
            print(f"PROTECT Workspace through nginx: {topo.url}/  (self-signed certificate; {topo.http_url} redirects)")
            for server in topo.servers.values():
                print(f"  app server {server.name}: {server.url}  (instance {server.instance})")
            print(f"  PostgreSQL database {topo.database_name} (dropped on exit), Redis {topo.redis_url}")
            print(f"  logs and configuration: {topo.dir}")
            print("Demo accounts: admin@example.org, moderator@example.org, expert@example.org (protect-demo-2015)")
            print("Ctrl+C stops everything.", flush=True)
            while not stop:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except TopologyError as error:
        print(f"make topology: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
