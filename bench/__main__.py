"""make bench: serve the app with gunicorn on a large data set and drive every main page with wrk.

    python -m bench            full run (the issue's data sizes, 15 s per request)
    python -m bench --quick    a tenth of the data, 4 s per request (under 2 minutes)
    python -m bench --markdown-only    only the Markdown section (in-process, about a minute)
    python -m bench --no-nginx         without the public pages through nginx

The public pages are measured twice: straight from gunicorn, and through nginx with the production site
(deploy/nginx/protect.conf: HTTPS, compression, the proxy's cache of public pages revalidated by ETag) in front
of the same server, when nginx is installed (make bench installs it from Debian).

SQLite by default; PostgreSQL when PROTECT_BENCH_DATABASE_URL names a server (a throwaway database is made
there). Prints a table and writes bench/results/latest.json. The Markdown section (bench/markdown.py: hostile
texts at each field's limit against an ordinary text) runs in this process after the pages and goes into the same
file under "markdown"; alone, it writes bench/results/markdown.json.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench.load import run_wrk, write_script, wrk_available

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data and short runs (< 2 minutes)")
    parser.add_argument("--seconds", type=int, help="seconds of load per request (default 15, quick 4)")
    parser.add_argument("--only", help="comma-separated target names to run ('groupday': the group day)")
    parser.add_argument("--markdown-only", action="store_true", help="only the Markdown section (no server)")
    parser.add_argument("--no-nginx", action="store_true", help="skip the public pages through nginx")
    args = parser.parse_args()
    if args.markdown_only:
        return _markdown_only()
    if not wrk_available():
        print("wrk is not installed: apt-get install wrk (make bench does it where it can).", file=sys.stderr)
        return 2

    from bench import datagen, groupday, markdown, targets

    scale = datagen.QUICK if args.quick else datagen.FULL
    seconds = args.seconds or (4 if args.quick else 15)
    workdir = Path(tempfile.mkdtemp(prefix="protect-bench-"))
    database_url, drop_database = _database(workdir)
    secret = secrets.token_hex(32)
    env = {
        **os.environ,
        "PROTECT_DATABASE_URL": database_url,
        "PROTECT_INSTANCE_PATH": str(workdir / "instance"),
        "PROTECT_SECRET_KEY": secret,
        "PROTECT_LOG_LEVEL": "WARNING",
        "PROTECT_ACCESS_LOG": "/dev/null",
        # The benchmark's members sign in by a minted session, without a second factor: the policy would send its
        # moderators to the set-up page (its check costs nothing: it is read in the session's one statement).
        "PROTECT_REQUIRE_SECOND_FACTOR": "0",
    }
    os.environ.update({k: env[k] for k in ("PROTECT_INSTANCE_PATH",)})
    try:
        started = time.monotonic()
        app = _app(database_url, secret)
        print(f"Generating data ({'quick' if args.quick else 'full'}) in {_describe(database_url)} ...", flush=True)
        counts = contextvars.Context().run(datagen.generate, app, scale)
        print("  " + ", ".join(f"{n:,} {what}" for what, n in counts.items()), flush=True)
        print(f"  took {time.monotonic() - started:.0f} s", flush=True)

        plan = contextvars.Context().run(targets.build, app, scale)
        ceiling_page = contextvars.Context().run(targets.ceiling_html, app, plan)
        wanted = set(args.only.split(",")) if args.only else None
        if wanted is not None:
            plan = [t for t in plan if t.name in wanted]
        probes = {t.name: contextvars.Context().run(targets.probe, app, t) for t in plan}

        ceiling_dir = workdir / "ceiling"
        ceiling_dir.mkdir()
        (ceiling_dir / "ceiling.html").write_text("{% raw %}" + ceiling_page + "{% endraw %}")
        workers = os.cpu_count() or 1
        results = {}
        ceiling_env = env | {"PROTECT_BENCH_CEILING_DIR": str(ceiling_dir)}
        ceilings = [_ceiling(ceiling_env, workers, workdir, seconds)]
        with _gunicorn("wsgi:app", env, workers) as url:
            for target in plan:
                script = write_script(
                    workdir / f"{target.name}.lua", target.method, target.headers, target.body, target.lua
                )
                if target.method == "GET":  # warm each worker's caches, as in a server that has been up a while
                    run_wrk(url + target.path, script, 1)
                if target.warm_paths:
                    headers = {k: v for k, v in target.headers.items() if not k.startswith(("HX-", "Content-"))}
                    warm = write_script(workdir / "warm.lua", "GET", headers, None, targets.warm_lua(target.warm_paths))
                    run_wrk(url + target.warm_paths[0], warm, 2)
                results[target.name] = run_wrk(url + target.path, script, seconds)
                print(f"  {target.name}: {results[target.name].rps:,.0f} req/s", flush=True)
            proxied = None if args.no_nginx else _through_nginx(plan, url, workdir, seconds)
            day = groupday.measure(app, url, workdir, seconds) if wanted is None or "groupday" in wanted else None
            memory = _worker_memory()
        # Measured again after the pages: the machine's speed drifts, and the faster of the two is the ceiling.
        ceilings.append(_ceiling(ceiling_env, workers, workdir, seconds))
        print(f"  ceiling: {' and '.join(f'{c.rps:,.0f}' for c in ceilings)} req/s", flush=True)
        ceiling = max(ceilings, key=lambda c: c.rps)
        report = _report(plan, probes, results, ceiling, memory, database_url, scale, seconds, workers, counts)
        report["search_index"] = _search_index_size(app)
        if proxied is not None:
            report["through_nginx"] = _proxied_rows(proxied, report, ceiling)
        if day is not None:
            report["group_day"] = groupday.report(day, ceiling)
        print("Markdown: hostile texts at each field's limit ...", flush=True)
        report["markdown"] = markdown.run(log=lambda line: print(line, flush=True))
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
        _print(report)
        _print_proxied(report.get("through_nginx"))
        if day is not None:
            groupday.print_report(report["group_day"])
        markdown.print_report(report["markdown"])
        print(f"\nWritten to {RESULTS / 'latest.json'} ({time.monotonic() - started:.0f} s in all)")
        return 0
    finally:
        drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


def _markdown_only() -> int:
    from bench import markdown

    started = time.monotonic()
    print("Markdown: hostile texts at each field's limit ...", flush=True)
    section = markdown.run(log=lambda line: print(line, flush=True))
    report = {"machine": _machine(), "taken": time.strftime("%Y-%m-%d %H:%M %Z"), "markdown": section}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "markdown.json").write_text(json.dumps(report, indent=2))
    markdown.print_report(section)
    print(f"\nWritten to {RESULTS / 'markdown.json'} ({time.monotonic() - started:.0f} s in all)")
    return 1 if section["failures"] else 0


def _through_nginx(plan, url: str, workdir: Path, seconds: int) -> dict | str | None:
    """The public pages again, through nginx (deploy/nginx/protect.conf over HTTPS) in front of the same
    gunicorn, as anonymous visitors (no cookie): what the proxy's cache of public pages gives. The results per
    target, a reason when nginx is missing, or None when the plan has no public page."""
    from deploy.topology import Nginx, TopologyError, which_program

    public = [t for t in plan if t.public]
    if not public:
        return None
    if not which_program("nginx") or not which_program("openssl"):
        print("  nginx is not installed (apt-get install nginx): the public pages were not run through it", flush=True)
        return "nginx is not installed"
    folder = workdir / "nginx"
    folder.mkdir()
    port = int(url.rsplit(":", 1)[1])
    results = {}
    try:
        with Nginx(folder, [port, port]) as proxy:
            for target in public:
                script = write_script(workdir / "nginx.lua", target.method, target.headers, target.body, target.lua)
                run_wrk(proxy.url + target.path, script, 1)
                results[target.name] = run_wrk(proxy.url + target.path, script, seconds)
                print(f"  {target.name} through nginx: {results[target.name].rps:,.0f} req/s", flush=True)
    except TopologyError as error:
        print(f"  nginx did not start: {error}", flush=True)
        return f"nginx did not start: {error}"
    return results


def _proxied_rows(proxied: dict | str, report: dict, ceiling) -> dict:
    if isinstance(proxied, str):
        return {"skipped": proxied}
    direct = {row["name"]: row for row in report["requests"]}
    rows = []
    for name, result in proxied.items():
        rows.append(
            {
                "name": name,
                "rps": round(result.rps, 1),
                "p50_ms": round(result.p50_ms, 2),
                "p95_ms": round(result.p95_ms, 2),
                "p99_ms": round(result.p99_ms, 2),
                "ratio_to_ceiling": round(result.rps / ceiling.rps, 3) if ceiling.rps else None,
                "direct_rps": direct[name]["rps"],
                "direct_ratio_to_ceiling": direct[name]["ratio_to_ceiling"],
                "errors": result.status_errors + result.socket_errors,
            }
        )
    return {"via": "nginx, deploy/nginx/protect.conf, HTTPS, anonymous visitors", "requests": rows}


def _print_proxied(section: dict | None) -> None:
    if not section:
        return
    if "skipped" in section:
        print(f"\nPublic pages through nginx: not run ({section['skipped']})")
        return
    print("\nPublic pages, directly and through nginx (HTTPS, the proxy's cache revalidated by ETag)")
    head = f"{'request':<28}{'direct':>9}{'ceiling':>9}{'nginx':>9}{'ceiling':>9}{'p95 ms':>9}{'errors':>8}"
    print(head)
    print("-" * len(head))
    for row in section["requests"]:
        print(
            f"{row['name']:<28}{row['direct_rps']:>9,.0f}{row['direct_ratio_to_ceiling'] or 0:>9.2f}"
            f"{row['rps']:>9,.0f}{row['ratio_to_ceiling'] or 0:>9.2f}{row['p95_ms']:>9.1f}{row['errors']:>8}"
        )


def _ceiling(env: dict[str, str], workers: int, workdir: Path, seconds: int):
    with _gunicorn("bench.ceiling:app", env, workers) as url:
        script = write_script(workdir / "ceiling.lua", "GET", {}, None)
        run_wrk(url + "/ceiling", script, 1)
        return run_wrk(url + "/ceiling", script, seconds)


def _app(database_url: str, secret: str):
    from protect import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REQUIRE_SECOND_FACTOR": False,  # as the servers it measures (see the environment above)
        }
    )


def _database(workdir: Path):
    server = os.environ.get("PROTECT_BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{workdir / 'bench.sqlite'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"protect_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def _describe(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


_gunicorn_pids: list[int] = []


class _gunicorn:
    """Serve ``app_path`` with sync workers, one per core, on a free port of 127.0.0.1."""

    def __init__(self, app_path: str, env: dict[str, str], workers: int) -> None:
        self.app_path, self.env, self.workers = app_path, env, workers

    def __enter__(self) -> str:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            # gunicorn.conf.py (read from the working directory) asks for threads, which would turn these into
            # gthread workers, and (with PROTECT_MAX_REQUESTS set) for restarts, which would empty the caches mid-run.
            "--threads",
            "1",
            "--max-requests",
            "0",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
            "--keep-alive",
            "5",
            self.app_path,
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                path = "/healthz" if self.app_path == "wsgi:app" else "/ceiling"
                urllib.request.urlopen(url + path, timeout=1)  # noqa: S310 - our own server on 127.0.0.1
                break
            except OSError:
                time.sleep(0.1)
        _gunicorn_pids[:] = [self.process.pid]
        return url

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(20)


def _worker_memory() -> dict[str, int]:
    """Peak resident memory (VmHWM) of each gunicorn worker of the running app server, in KiB."""
    memory = {}
    for pid in _gunicorn_pids:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        for child in children.read_text().split() if children.exists() else []:
            status = Path(f"/proc/{child}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    memory[child] = int(line.split()[1])
    return memory


def _search_index_size(app) -> dict:
    """The search index on disk: its table and the engine's own (SQLite's FTS5 tables, PostgreSQL's GIN index)."""
    from sqlalchemy import text

    from protect.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            size = db.session.execute(text("SELECT pg_total_relation_size('search_entry')")).scalar_one()
            engine = db.session.execute(text("SELECT pg_relation_size('ix_search_entry_document')")).scalar_one()
        else:
            rows = dict(
                db.session.execute(
                    text("SELECT name LIKE 'search_fts%', SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' GROUP BY 1")
                ).all()
            )
            size, engine = sum(rows.values()), rows.get(1, 0)
        entries = db.session.execute(text("SELECT count(*) FROM search_entry")).scalar_one()
        db.session.remove()
    return {"entries": entries, "bytes": int(size), "engine_bytes": int(engine)}


def _report(plan, probes, results, ceiling, memory, database_url, scale, seconds, workers, counts) -> dict:
    from bench import targets

    rows = []
    for target in plan:
        result, probe = results[target.name], probes[target.name]
        limit = targets.target_ratio(target)  # a share of the ceiling (bench/targets.py)
        rows.append(
            {
                "name": target.name,
                "request": f"{target.method} {target.path}",
                "public": target.public,
                "rps": round(result.rps, 1),
                "p50_ms": round(result.p50_ms, 2),
                "p95_ms": round(result.p95_ms, 2),
                "p99_ms": round(result.p99_ms, 2),
                "bytes": probe["bytes"],
                "queries": probe["queries"],
                "status": probe["status"],
                "ratio_to_ceiling": round(result.rps / ceiling.rps, 3) if ceiling.rps else None,
                "target_ratio": limit,
                "errors": result.status_errors + result.socket_errors,
                "full_page_bytes": probe.get("full_page_bytes"),
            }
        )
        rows[-1]["missed"] = targets.missed(rows[-1])
    return {
        "machine": _machine(),
        "taken": time.strftime("%Y-%m-%d %H:%M %Z"),
        "database": _describe(database_url),
        "data": counts,
        "scale": scale.name,
        "seconds_per_request": seconds,
        "connections": 16,
        "workers": workers,
        "ceiling": {
            "rps": round(ceiling.rps, 1),
            "p50_ms": round(ceiling.p50_ms, 2),
            "p95_ms": round(ceiling.p95_ms, 2),
            "p99_ms": round(ceiling.p99_ms, 2),
        },
        "worker_peak_memory_kib": memory,
        "requests": rows,
    }


def _machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")  # fmt: skip
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    system = f"Linux {platform.release()}, Python {platform.python_version()}"
    return f"{model or platform.machine()}, {os.cpu_count()} cores{memory}, {system}"


def _print(report: dict) -> None:
    print(
        f"\n{report['database']}, {report['workers']} sync workers, 16 connections, "
        f"{report['seconds_per_request']} s each · {report['machine']}"
    )
    head = (
        f"{'request':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'bytes':>9}{'SQL':>5}{'ceiling':>11}  ok?"
    )
    print(head)
    print("-" * len(head))
    c = report["ceiling"]
    print(f"{'bare Flask ceiling':<28}{c['rps']:>9,.0f}{c['p50_ms']:>9.1f}{c['p95_ms']:>9.1f}{c['p99_ms']:>9.1f}")
    for row in report["requests"]:
        target = "" if row["target_ratio"] is None else f"/{row['target_ratio']:.2f}"
        print(
            f"{row['name']:<28}{row['rps']:>9,.0f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['bytes']:>9,}{row['queries']:>5}{row['ratio_to_ceiling'] or 0:>6.2f}{target:<5}  "
            + ("NO: " + ", ".join(row["missed"]) if row["missed"] else "yes")
        )
    index = report.get("search_index")
    if index:
        print(
            f"search index: {index['entries']:,} entries, {index['bytes'] / 2**20:.1f} MiB on disk"
            f" (of which the full-text engine's own: {index['engine_bytes'] / 2**20:.1f} MiB)"
        )
    memory = report["worker_peak_memory_kib"]
    if memory:
        from bench.targets import MAX_WORKER_MIB

        over = any(kib / 1024 >= MAX_WORKER_MIB for kib in memory.values())
        print("worker peak memory: " + ", ".join(f"{kib / 1024:.0f} MiB" for kib in memory.values())
              + (f"  NO: >= {MAX_WORKER_MIB} MiB" if over else f"  (target < {MAX_WORKER_MIB} MiB: yes)"))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
