"""gunicorn.conf.py: workers (and their in-process caches) live as long as the server unless told otherwise."""

import runpy
from pathlib import Path

CONF = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")


def test_workers_are_not_recycled_by_default(monkeypatch):
    monkeypatch.delenv("PROTECT_MAX_REQUESTS", raising=False)
    settings = runpy.run_path(CONF)
    assert settings["max_requests"] == 0  # gunicorn's "never restart a worker"
    assert settings["max_requests_jitter"] == 0


def test_recycling_can_be_turned_on_with_jitter(monkeypatch):
    monkeypatch.setenv("PROTECT_MAX_REQUESTS", "200000")
    settings = runpy.run_path(CONF)
    assert settings["max_requests"] == 200_000
    assert settings["max_requests_jitter"] == 20_000  # workers restart at different moments
