"""/healthz: whether this host can serve. No login, no data: a status code and one word per
check, for a balancer's health check and an operator's glance.

The database and the private storage are required (503 without either); Redis is reported but
not required, since every page works without it (the cache is tolerant, sessions are in the
database, and a job that cannot start now is kept and started later).
"""

import os
import time
from pathlib import Path

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

#: Each check gives up after this long (seconds), so the answer comes within about a second.
TIMEOUT = 0.3


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach or ask the database
        return "down"
    return "ok"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "off"  # not configured (the embedded default): nothing to check
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        client.ping()
        client.close()
    except Exception:  # refused, timed out, or not Redis at all
        return "down"
    return "ok"


def _writable(folder: Path) -> bool:
    """Whether files can be written under `folder`: it, or (before the first file made it)
    the nearest folder above it, is writable."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _storage() -> str:
    storage = storages["private"]
    try:
        storage.exists("healthz")  # an object store answers, or raises
        location = getattr(storage, "location", None)
        if location is not None and not _writable(Path(location)):
            return "down"  # the shared volume is read-only to this host, or unreachable
    except Exception:  # an unreadable volume, an object store that does not answer
        return "down"
    return "ok"


@login_not_required
@never_cache
def healthz(request):
    started = time.monotonic()
    checks = {"database": _database(), "redis": _redis(), "storage": _storage()}
    healthy = checks["database"] == "ok" and checks["storage"] == "ok"
    body = "".join(f"{name} {word}\n" for name, word in checks.items())
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response.status_code = 200 if healthy else 503
    response["X-Check-Ms"] = str(int((time.monotonic() - started) * 1000))
    return response
