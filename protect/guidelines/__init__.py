"""The guidelines feature: its blueprint, navigation, dashboard panel and demo data are registered here."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Filled in as the feature is built (see DEVELOPERS.md)."""
