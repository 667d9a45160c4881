"""gunicorn settings for production (`make prod`); each can be overridden from the
environment (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_CONTROL_SOCKET)."""

import multiprocessing
import os
from pathlib import Path

# Every file the service writes (stamped scans, rendered PDFs, a demo's mail) is the service
# user's alone: 0600 files, 0700 folders. Set here, in the master, so the workers inherit it.
UMASK = 0o077
os.umask(UMASK)
umask = UMASK

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# gunicorn listens on a control socket (gunicornc); by default one path in the home folder, so
# two instances on one host would share it. Each instance has its own, named by its port.
_port = bind.rsplit(":", 1)[-1] if ":" in bind else bind.replace("/", "_")
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET",
    str(Path(__file__).resolve().parent / "var" / "run" / f"gunicorn-{_port}.ctl"),
)
control_socket_mode = 0o600
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
    from reviews.documents import printing

    printing.render_html("<p>预热</p>")
