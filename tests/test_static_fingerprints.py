"""Static URLs carry their file's fingerprint (core/assets.py): a release that changes a file changes its URL, so
nginx can let browsers keep each URL for a year."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from flask import url_for

from protect.core import assets


def test_every_static_url_on_a_page_names_its_files_fingerprint(client, app):
    page = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]{12})"', page)
    assert {name for name, _ in urls} >= {"css/app.css", "js/app.js", "vendor/htmx/htmx.min.js"}
    for name, fingerprint in urls:
        content = Path(app.static_folder, name).read_bytes()
        assert fingerprint == hashlib.sha256(content).hexdigest()[:12], name
    with client.get(f"/static/css/app.css?v={dict(urls)['css/app.css']}") as response:
        assert response.status_code == 200


def test_a_changed_file_gets_a_new_fingerprint_and_a_missing_one_none(app, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(app.static_folder, folder)
    original = app.static_folder
    app.static_folder = str(folder)
    try:
        first = assets.fingerprint(app, "css/app.css")
        stylesheet = folder / "css" / "app.css"
        stylesheet.write_text(stylesheet.read_text() + "\n/* a new release */\n")
        os.utime(stylesheet, ns=(1, 1))  # even with a time that went back: the size changed
        second = assets.fingerprint(app, "css/app.css")
        assert first and second and first != second
        assert assets.fingerprint(app, "css/no-such-file.css") is None
        with app.test_request_context():
            assert url_for("static", filename="css/no-such-file.css") == "/static/css/no-such-file.css"
            assert url_for("static", filename="css/app.css") == f"/static/css/app.css?v={second}"
    finally:
        app.static_folder = original
