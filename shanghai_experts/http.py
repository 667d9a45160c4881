"""The client's address, the same for the audit trail and the login lockout.

django-axes asks `client_ip` (AXES_CLIENT_IP_CALLABLE), and so does every audit record.

Behind a reverse proxy every request arrives from the proxy. Only when the connecting address is
one of `TRUSTED_PROXIES` is `X-Forwarded-For` read: from its right end, each trusted proxy's
entry is passed over, and the first address that is not a trusted proxy is the client (what the
outermost trusted proxy saw). Whatever a client writes into the header itself lies further left
and is never reached. A client that connects directly cannot choose its address at all.

(django-ipware's proxy-count model assumes each proxy appends its own address; nginx's
`$proxy_add_x_forwarded_for` appends the address it saw instead, and the two disagree by one
hop, so the walk over the trusted set is done here.)
"""

import ipaddress
import re
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(ip) -> bool:
    return ip is not None and any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    if not settings.TRUSTED_PROXIES or not _trusted(_parse(remote or "")):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for entry in reversed(hops):
        ip = _parse(entry)
        if ip is None:
            break  # garbage is where a trusted proxy's record ends
        if not _trusted(ip):
            return str(ip)
    return remote


#: The cookie that tells static/js/session.js which of the browser's kept copies (autosave.js,
#: sent with each save as the form field `kept_copy`) the server has now saved.
SAVED_COPIES_COOKIE = "kept_copy_saved"
_TOKEN = re.compile(r"[0-9a-z]{8,32}")


def kept_copy_saved(request) -> None:
    """Called by a view once a form's save succeeded: the copy the browser kept of the form as
    it was sent is saved, and must not be offered back as unsaved (the server may have
    normalised what it stored: `8` shown as `8.0`, a trailing space stripped, so the page no
    longer reads the same). KeptCopyMiddleware tells the browser with the response."""
    request.kept_copy_saved = True


def confirm_kept_copy(request, response):
    """Sets the cookie after a view called `kept_copy_saved`, whatever the response is (a
    redirect to the form or to the next page, or the form again)."""
    token = request.POST.get("kept_copy", "")
    if getattr(request, "kept_copy_saved", False) and _TOKEN.fullmatch(token):
        earlier = request.COOKIES.get(SAVED_COPIES_COOKIE, "").split(".")
        tokens = [t for t in earlier if _TOKEN.fullmatch(t)][-4:] + [token]
        response.set_cookie(
            SAVED_COPIES_COOKIE,
            ".".join(tokens),
            max_age=600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=False,  # read and cleared by the page's script; it holds no secret
        )
    return response
