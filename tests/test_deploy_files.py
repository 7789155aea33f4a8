"""deploy/: the files an administrator installs agree with the app (no server started: tests/topology runs them)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from deploy.topology import SITE, TopologyError, site_config
from protect.config import ENV_SETTINGS, Defaults

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE_TEXT = SITE.read_text()


def _directive(name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", SITE_TEXT, re.MULTILINE)


def _rendered(text: str) -> str:
    paths = {name: Path(f"/tmp/t/{name}") for name in ("static", "cache", "cert", "key", "snippets")}
    return site_config(text, https=8443, http=8080, upstreams=[9001, 9002], **paths)


def test_the_topology_runs_the_site_with_every_value_an_administrator_changes_replaced():
    rendered = _rendered(SITE_TEXT)
    directives = "\n".join(line.split("#", 1)[0] for line in rendered.splitlines())
    for production in ("workspace.example.org", "/srv/protect", "/etc/letsencrypt", ":8001", ":8002", "listen 443",
                       "listen 80", "[::]", "/var/cache/nginx", "/etc/nginx/snippets"):  # fmt: skip
        assert production not in directives, production
    assert "server 127.0.0.1:9001 " in rendered and "listen 127.0.0.1:8443 ssl" in rendered
    # Everything else is the file as installed: the same directives, in the same order.
    assert [line.split()[0] for line in rendered.splitlines() if line.strip()] == [
        line.split()[0] for line in SITE_TEXT.splitlines() if line.strip() and "[::]" not in line
    ]


def test_a_value_the_topology_no_longer_finds_in_the_site_fails_loudly():
    with pytest.raises(TopologyError, match="no longer contains"):
        _rendered(SITE_TEXT.replace("server_name workspace.example.org;", "server_name example.net;"))


def test_the_body_limit_and_timeouts_match_the_app_and_gunicorn():
    assert _directive("client_max_body_size") == [f"{Defaults.MAX_CONTENT_LENGTH // (1024 * 1024)}m"]
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    (read_timeout,) = _directive("proxy_read_timeout")
    assert int(read_timeout.rstrip("s")) > gunicorn["timeout"]  # gunicorn ends a slow request first, with a log


def test_the_proxy_caches_only_what_the_app_marks_and_nothing_with_a_cookie():
    assert _directive("proxy_ignore_headers") == ["Cache-Control Expires"]
    assert not _directive("proxy_cache_valid")  # nothing by status: only what carries X-Accel-Expires
    assert "$http_cookie" in _directive("proxy_cache_bypass")[0]
    assert {"$http_cookie", "$upstream_http_set_cookie"} <= set(_directive("proxy_no_cache")[0].split())
    assert _directive("proxy_cache_revalidate") == ["on"]
    assert _directive("proxy_set_header").count("X-Forwarded-Proto $scheme") == 1


def test_every_timer_starts_a_service_and_every_unit_runs_as_the_app_user():
    units = DEPLOY / "systemd"
    for timer in units.glob("*.timer"):
        assert (units / timer.name.replace(".timer", ".service")).exists(), timer.name
    for service in units.glob("*.service"):
        text = service.read_text()
        assert "User=protect" in text and "EnvironmentFile=/etc/protect/protect.env" in text, service.name
        assert re.search(r"^ExecStart=/", text, re.MULTILINE), service.name


def test_the_example_environment_sets_only_settings_that_exist():
    known = {env for env, _kind in ENV_SETTINGS.values()}
    known |= {"PROTECT_WORKERS", "PROTECT_THREADS", "PROTECT_BACKUP_DIR", "PROTECT_BACKUP_DAYS"}  # gunicorn, timers
    names = re.findall(r"^(PROTECT_[A-Z_]+)=", (DEPLOY / "protect.env.example").read_text(), re.MULTILINE)
    assert names and set(names) <= known, set(names) - known
    for required in ("PROTECT_DATABASE_URL", "PROTECT_SECRET_KEY", "PROTECT_HTTPS", "PROTECT_PROXY_FIX"):
        assert required in names


def test_the_topology_tests_skip_locally_but_fail_where_they_are_required(monkeypatch):
    from tests.topology.conftest import _unavailable

    monkeypatch.delenv("PROTECT_REQUIRE_TOPOLOGY", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _unavailable("no nginx")
    monkeypatch.setenv("PROTECT_REQUIRE_TOPOLOGY", "1")  # CI (.ci/run)
    with pytest.raises(pytest.fail.Exception):
        _unavailable("no nginx")
    assert "export PROTECT_REQUIRE_TOPOLOGY=1" in (ROOT / ".ci" / "run").read_text()
