"""Training events and their 2-day agendas, drafted together."""

from flask import Flask


def init_app(app: Flask) -> None:
    from protect.agendas import models  # noqa: F401 - the tables are part of the schema from the start
