"""Fingerprinted static URLs: ``url_for('static', filename=...)`` adds ``?v=`` and the first 12 hex digits of the
file's sha256, so a release that changes a file changes its URL. nginx (deploy/nginx/protect.conf) lets browsers
keep a fingerprinted URL for a year; any other static URL for an hour (SEND_FILE_MAX_AGE_DEFAULT without nginx).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask

from protect.core.lru import app_cache


def fingerprint(app: Flask, filename: str) -> str | None:
    """The file's fingerprint, read again whenever its size or time changes (None: no such file)."""
    path = os.path.join(app.static_folder or "", filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    cache = app_cache("static_fingerprints", 512, app=app)
    key = (filename, stat.st_size, stat.st_mtime_ns)
    return cache.get_or_compute(key, lambda: _digest(path))


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    @app.url_defaults
    def _fingerprinted(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
            found = fingerprint(app, values["filename"])
            if found is not None:
                values["v"] = found
