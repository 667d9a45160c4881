"""Answers for a request the site cannot carry out, in Chinese, each saying what happened to
what the user typed and how to go on.

- `login_expired`: a form sent after the session ended (the cookie expired in the browser, or
  the idle limit passed on the server). On the pages that keep typed text in the browser
  (`settings.KEPT_TEXT_PAGES`, static/js/autosave.js) it says so, and its login link comes back
  to the same page, where the kept copy is offered back.
- `csrf_failure` (CSRF_FAILURE_VIEW): the page was opened before a login in another tab or before
  the session ended, so its form's token no longer counts.
- `database_unavailable`: the database cannot be reached (a restart, a failover): 503 with
  Retry-After instead of a 500. Rendered without a request context, since the user, the
  session and the menus all live in the database.

Autosave asks with `X-Requested-With: XMLHttpRequest` and gets the same answer as JSON.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

#: Seconds a client is asked to wait after a database failure: a restart takes 1–2 s, a
#: failover of a managed database up to about 30 s.
RETRY_AFTER = 10

KEPT_TEXT = (
    "您已填写的内容保留在本浏览器中（未发送到服务器的部分也在）。"
    "回到本页后，点击页面上方的“恢复未保存的内容”即可找回。"
)


def wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def keeps_text(request) -> bool:
    """Whether the request comes from a page whose typing autosave.js keeps in the browser."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in settings.KEPT_TEXT_PAGES


def form_page(request) -> str:
    """The page the form was sent from (its kept copy is filed under that page's address): the
    Referer when it is this site's, else the address posted to (an edit page posts to itself)."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return urlsplit(referer).path
    return request.path


def login_url(request) -> str:
    """The login page, coming back to the form when the form keeps its text in the browser."""
    url = reverse(settings.LOGIN_URL)
    if keeps_text(request):
        url += "?" + urlencode({"next": form_page(request)})
    return url


def login_expired(request, *, reason: str = "") -> HttpResponse:
    kept = keeps_text(request)
    message = reason or "由于长时间未操作，登录已经结束，这次提交没有被接收。"
    if wants_json(request):
        return JsonResponse(
            {
                "status": "login",
                "message": message
                + ("填写的内容保留在本浏览器中，重新登录后可恢复。" if kept else ""),
                "login": login_url(request),
            },
            status=403,
        )
    context = {
        "heading": "登录已过期",
        "message": message,
        "kept": KEPT_TEXT if kept else "",
        "action_url": login_url(request),
        "action_label": "重新登录" + ("并回到本页" if kept else ""),
    }
    return render(request, "expired.html", context, status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's own page is in English and advises DEBUG=True."""
    kept = keeps_text(request)
    logged_in = getattr(request, "user", None) is not None and request.user.is_authenticated
    message = (
        "本页打开之后，您在其他标签页重新登录过，或者登录已过期，页面中的安全校验码已失效，"
        "所以这次提交没有被接收。"
    )
    if wants_json(request):
        return JsonResponse(
            {
                "status": "expired",
                "message": "页面已过期，未自动保存：请重新打开本页"
                + ("（填写的内容保留在本浏览器中，可恢复）" if kept else "")
                + "。",
                "reload": form_page(request) if kept and logged_in else login_url(request),
            },
            status=403,
        )
    if logged_in:
        action_url = form_page(request) if kept else reverse("home")
        action_label = "重新打开本页" if kept else "返回首页"
    else:
        action_url, action_label = login_url(request), "重新登录"
    context = {
        "heading": "页面已过期",
        "message": message,
        "kept": KEPT_TEXT if kept else "请返回上一页，刷新后重新操作。",
        "action_url": action_url,
        "action_label": action_label,
    }
    return render(request, "expired.html", context, status=403)


def database_unavailable(request) -> HttpResponse:
    kept = keeps_text(request) and request.method == "POST"
    message = "系统的数据库暂时无法连接（可能正在重启或维护），请稍候片刻再试。"
    if wants_json(request):
        response = JsonResponse(
            {"status": "unavailable", "message": message, "retry_after": RETRY_AFTER}, status=503
        )
    else:
        html = render_to_string(
            "503.html",
            {
                "message": message,
                "kept": KEPT_TEXT if kept else "",
                "retry_after": RETRY_AFTER,
                # Reloading a GET is harmless; a POST is never sent again by itself.
                "refresh": request.method in ("GET", "HEAD"),
                "again_url": form_page(request) if request.method == "POST" else request.path,
                "again_label": "回到表单" if kept else "重试",
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
