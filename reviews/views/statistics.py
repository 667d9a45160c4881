"""统计: the call at a glance (reviews.statistics), as a page with charts and as .xlsx."""

from django.http import Http404
from django.shortcuts import render

from shanghai_experts.permissions import permission_required

from .. import statistics
from ..queries import recommenders
from .background import start_export

STAT_FIELDS = ("category", "recommender", "state")


@permission_required("reviews.see_statistics")
def statistics_page(request):
    org = request.user.organisation
    organisations = recommenders()  # the bureau's filter, and every table's labels
    scope, filters, calls = statistics.scope_from(request.GET, org, organisations)
    if scope.call is None:
        raise Http404
    if request.GET.get("format") == "xlsx":
        return start_export(
            request,
            "statistics_xlsx",
            f"{scope.call.year}年专家服务基层项目统计（{org}）",
            call=scope.call.pk,
        )
    labels = dict(organisations)
    tables = statistics.build(scope, labels)
    return render(
        request,
        "reviews/statistics.html",
        {
            "call": scope.call,
            "calls": calls,
            "organisation": org,
            "filter_form": filters,
            "filters": [filters[name] for name in STAT_FIELDS if name in filters.fields],
            "tables": tables,
            "charts": [t.chart_data() for t in tables if t.chart and t.rows],
        },
    )
