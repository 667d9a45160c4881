"""gunicorn settings for production (`make prod`); each can be overridden from the
environment (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads let a worker wait on the database or on WeasyPrint's neighbours without blocking
# the others; processes use both cores.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # a ZIP of 300 forms streams ~60 s
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
accesslog = "-"  # to stdout, like the application's own log
errorlog = "-"
# The path without its query string: searches carry names of people and units.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# Only the proxies the application trusts (TRUSTED_PROXIES) may set X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")


def post_worker_init(worker):
    """Load WeasyPrint and the CJK fonts when a worker starts, not on a user's first PDF."""
    from reviews import printing

    printing.render_html("<p>预热</p>")
