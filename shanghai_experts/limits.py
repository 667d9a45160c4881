"""Bounds on what a request may send, applied before the body is read.

- An anonymous request with a body is refused (403) unless it goes to one of the public forms
  (`PUBLIC_FORMS`: login, registration, activation, password reset), and then only up to
  `ANONYMOUS_MAX_BYTES`: nothing else accepts anonymous input, and Django's CSRF check would
  otherwise parse (and spool to disk) whatever was sent before the redirect to the login page.
  A form sent from a page that keeps its typing in the browser (an edit page whose login has
  expired) is told so, with a login link back to the page (`error_pages.login_expired`).
- A body declared larger than `MAX_REQUEST_BYTES` is refused (413) before it is read.
- A file upload is counted while it streams; past `SCAN_MAX_BYTES` the upload stops and the
  request carries `upload_too_large`, so the form says so instead of receiving it whole.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from .error_pages import keeps_text, login_expired

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _has_body(request) -> bool:
    length = _declared_length(request)
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return request.method in BODY_METHODS and (chunked or length is None or length > 0)


class RequestLimitsMiddleware:
    """Placed after AuthenticationMiddleware: it needs to know who is asking, and runs before
    any view or middleware reads the body (process_view hooks run after every __call__)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _declared_length(request)
        if length is None or (length and length > settings.MAX_REQUEST_BYTES):
            return _refuse(request, 413, "提交的内容过大或长度无效。")
        if not request.user.is_authenticated and _has_body(request):
            if not _public_form(request.path_info):
                if keeps_text(request):
                    return login_expired(request)
                return _refuse(request, 403, "请先登录，再提交内容。")
            if length is None or length > settings.ANONYMOUS_MAX_BYTES:
                return _refuse(request, 413, "提交的内容过大或长度无效。")
        return self.get_response(request)


def _public_form(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.view_name in settings.PUBLIC_FORMS


def _refuse(request, status: int, message: str) -> HttpResponse:
    # No `Connection: close` here: a WSGI application may not set a hop-by-hop header (the
    # development server's wsgiref handler answers it with a bare 500, gunicorn drops it).
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class BoundedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts each file as it streams and stops the upload as
    soon as it passes SCAN_MAX_BYTES, so it is never written whole. Django's own handlers,
    after it, keep the data."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.SCAN_MAX_BYTES:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data  # on to the next handler

    def file_complete(self, file_size):
        return None


class NoStoreMiddleware:
    """Pages for a logged-in user hold personal data (items, PDFs, scans, exports, the audit):
    the browser must not keep them after logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
