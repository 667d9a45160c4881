"""The lists of the national divisions a place's boxes offer, for static/js/divisions.js."""

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from .divisions import divisions


@require_GET
def division_options(request, level: str, code: str):
    """The 地市 of a province (level "city") or the 区县 of a 地市 (level "county"), as
    [[code, name], …]; an unknown code has none. The list changes only with a release."""
    places = divisions()
    if level == "city":
        options = places.cities(code)
    elif level == "county":
        options = places.counties(code)
    else:
        raise Http404
    response = JsonResponse({"options": [[d.code, d.name] for d in options]})
    response["Cache-Control"] = "private, max-age=86400"
    return response
