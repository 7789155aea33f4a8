"""gunicorn settings. Every value can be overridden on the command line or with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = os.environ.get("PROTECT_BIND", "127.0.0.1:5000")
# Sync workers: one per core is the measured best for this app (see bench/README.md).
workers = int(os.environ.get("PROTECT_WORKERS", multiprocessing.cpu_count()))
# A few threads per worker keep the agenda and comment polling from queueing behind a slow request.
threads = int(os.environ.get("PROTECT_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers live as long as the server: no recycling by default. Each worker keeps its caches in memory (rendered
# Markdown and diffs, poll tallies, public pages, members' pages), every one bounded by entries and bytes
# (core/lru.py), so a worker's memory levels off instead of growing (make bench reports each worker's peak).
# Recycling would only throw those caches away: at the old max_requests = 5000 a worker restarted every few
# seconds under load, and even a static file's throughput halved (issue 17). If a deployment ever sees a
# worker's memory grow (a leak in a library, say), PROTECT_MAX_REQUESTS=200000 turns recycling on, with up to
# 10% jitter so that the workers do not all restart (and empty their caches) at the same moment.
max_requests = int(os.environ.get("PROTECT_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("PROTECT_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
control_socket_disable = True
