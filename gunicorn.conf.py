"""gunicorn settings. Every value can be overridden on the command line or with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = os.environ.get("PROTECT_BIND", "127.0.0.1:5000")
# Sync workers: one per core is the measured best for this app (see README, Performance).
workers = int(os.environ.get("PROTECT_WORKERS", multiprocessing.cpu_count()))
# A few threads per worker keep the agenda and comment polling from queueing behind a slow request.
threads = int(os.environ.get("PROTECT_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("PROTECT_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
control_socket_disable = True
