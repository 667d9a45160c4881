"""Sessions end after SESSION_IDLE_TIMEOUT seconds without a request (default 30 minutes).

The session records when it was last seen; it is written at most once a minute, so a busy
user does not cost a database write on every request.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

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
                query = urlencode({"next": request.get_full_path(), "timeout": 1})
                return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
            # At most one session write a minute; more often when the limit itself is short.
            if last is None or now - last >= min(TOUCH_EVERY, settings.SESSION_IDLE_TIMEOUT // 4):
                request.session["last_seen"] = now
        return self.get_response(request)
