"""The project's admin site: Django's, guarded against addresses that its own views turn into
server errors.

- A NUL character anywhere in the query or in the address (a list filter, a search, an id):
  PostgreSQL refuses it inside a string, so the list would fail while running its query.
  The request is refused as a bad request (400) before any view runs.
- An empty `_to_field` (a popup parameter) makes Django look up a field named "": ignored.
- An object an extra view (a TOTP device's key or QR code) cannot find is a 404, as Django's
  own change pages already answer.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import render

NUL = "\x00"
NUL_REFUSED = {
    "heading": "请求有误",
    "status": 400,
    "message": "地址或查询条件中含有不允许的字符（NUL，编码 0）。请返回上一页，重新输入查询条件。",
}


def _has_nul(request, kwargs) -> bool:
    if NUL in request.path:
        return True
    # A form's text field refuses NUL itself (naming the field); a query string cannot.
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            return True
    return any(NUL in str(value) for value in kwargs.values())


def _without_empty(query, name):
    if name in query and not query.get(name):
        query = query.copy()
        del query[name]
    return query


class ProjectAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        def guarded(request, *args, **kwargs):
            if _has_nul(request, kwargs):
                return render(request, "error.html", NUL_REFUSED, status=400)
            request.GET = _without_empty(request.GET, "_to_field")
            if request.method == "POST":
                request.POST = _without_empty(request.POST, "_to_field")
            try:
                return view(request, *args, **kwargs)
            except ObjectDoesNotExist as exc:
                raise Http404("没有这条记录。") from exc

        for attribute in ("csrf_exempt", "__name__", "__doc__", "__module__"):
            if hasattr(view, attribute):
                setattr(guarded, attribute, getattr(view, attribute))
        return super().admin_view(guarded, cacheable)


class ProjectAdminConfig(AdminConfig):
    """Django's admin app with `admin.site` being a ProjectAdminSite."""

    default_site = "shanghai_experts.admin_site.ProjectAdminSite"
