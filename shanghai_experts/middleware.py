"""Sessions that end when idle, and a database that cannot be reached answered with 503.

Sessions end after SESSION_IDLE_TIMEOUT seconds without a request (default 30 minutes). The
session records when it was last seen; it is written at most once a minute, so a busy user does
not cost a database write on every request.
"""

import sys
import time

from django.conf import settings
from django.contrib.auth import logout
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .error_pages import database_unavailable, login_expired
from .http import confirm_kept_copy

TOUCH_EVERY = 60  # seconds


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                request.logout_reason = "timeout"  # read by the audit of the logout
                logout(request)
                if request.method == "POST":
                    # A redirect would drop the form: say what became of the typing instead.
                    return login_expired(request)
                query = urlencode({"next": request.get_full_path(), "timeout": 1})
                return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
            # At most one session write a minute; more often when the limit itself is short.
            if last is None or now - last >= min(TOUCH_EVERY, settings.SESSION_IDLE_TIMEOUT // 4):
                request.session["last_seen"] = now
        return self.get_response(request)


def _note_database_failure(sender, request=None, **kwargs):
    """Django converts an exception into a 500 inside each middleware's layer, before an outer
    middleware could catch it; it sends this signal while the exception is being handled."""
    if request is not None and _connection_lost(sys.exc_info()[1]):
        request.database_unavailable = True


def _connection_lost(error) -> bool:
    """An error of reaching the database, not of the query: SQLite's "no such table" is an
    OperationalError too, and stays a 500."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    connection = connections[DEFAULT_DB_ALIAS]
    raw = connection.connection
    if raw is None or getattr(raw, "closed", False):
        return True  # never connected, or the server ended the connection
    return connection.vendor == "sqlite" and "locked" in str(error)  # a writer held it too long


got_request_exception.connect(_note_database_failure, dispatch_uid="database_unavailable")


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE: a request that failed because the database could not be reached
    (OperationalError, InterfaceError: a restart, a failover, too many connections) gets a 503
    with Retry-After and a Chinese page, wherever in the stack the failure came from (the
    session, the user, a view, the session save)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "database_unavailable", False):
            return database_unavailable(request)
        return response


class KeptCopyMiddleware:
    """After a save a view marked with `http.kept_copy_saved`: the response carries the token of
    the browser's copy that is now saved (static/js/session.js drops that copy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "kept_copy_saved", False):
            confirm_kept_copy(request, response)
        return response
