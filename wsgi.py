"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app`` or ``flask --app wsgi run``."""

import gc

from protect import create_app

app = create_app()
# Everything create_app made (mappers, routes, compiled templates) lives as long as the worker: keep it out of
# the garbage collector's scans, and collect young objects less often (a request allocates thousands, almost
# all freed by reference counting anyway). Measured with `make bench`: the public pages went from about 70%
# to about 80% of the ceiling, the agenda page from 44-49% to 53-54%.
gc.freeze()
gc.set_threshold(20_000, 20, 20)
