"""统计: the call at a glance (reviews.statistics), as a page with charts and as .xlsx."""

import tempfile

from django import forms
from django.http import FileResponse
from django.shortcuts import render
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from records import audit
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required

from .. import exports, statistics
from ..queries import QueueFilter, recommenders
from .common import current_call

STAT_FIELDS = ("category", "recommender", "state")


class YearField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(label="批次", coerce=int, required=False, **kwargs)


def _scope(request, org, organisations):
    filters = QueueFilter(
        request.GET or None, recommenders=organisations if org.is_bureau else None
    )
    calls = list(Call.objects.order_by("-year").values_list("year", flat=True))
    year_field = YearField(choices=[("", "当前批次"), *((y, f"{y} 年") for y in calls)])
    try:
        year = year_field.clean(request.GET.get("year", ""))
    except forms.ValidationError:
        year = None
    call = Call.objects.filter(year=year).first() if year else current_call()
    data = filters.chosen
    scope = statistics.Scope(
        call=call,
        organisation=org,
        category=data.get("category") or "",
        recommender=data.get("recommender") if org.is_bureau else None,
        state=data.get("state") or "",
    )
    return scope, filters, calls


@permission_required("reviews.see_statistics")
def statistics_page(request):
    org = request.user.organisation
    organisations = recommenders()  # the bureau's filter, and every table's labels
    scope, filters, calls = _scope(request, org, organisations)
    labels = dict(organisations)
    tables = statistics.build(scope, labels)
    if request.GET.get("format") == "xlsx":
        return _xlsx(request, scope, tables)
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


def _xlsx(request, scope, tables):
    """One sheet per table, cells written as the 一览表 writes them (text stays text)."""
    wb = Workbook(write_only=True)
    used = set()
    for table in tables:
        title = table.title.split("（")[0][:28] or table.key
        while title in used:
            title = f"{title[:26]}_{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title=title)
        styles = exports._styles(ws)
        for index in range(1, len(table.columns) + 1):
            ws.column_dimensions[get_column_letter(index)].width = 22 if index == 1 else 14
        ws.append([exports.styled(ws, styles.title, table.title)])
        ws.append([exports.styled(ws, styles.header, c) for c in table.columns])
        for row in table.rows:
            ws.append([exports.styled(ws, styles.body, v) for v in row])
        if table.note:
            ws.append([exports.styled(ws, styles.note, table.note)])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    wb.save(handle)
    handle.seek(0)
    filename = f"{scope.call.year}年专家服务基层项目统计（{scope.organisation}）.xlsx"
    audit.record(
        scope.call,
        action="export_statistics",
        label="导出统计",
        user=request.user,
        comment=f"{filename}；条件：{request.GET.urlencode() or '无'}",
        client_ip=client_ip(request),
    )
    return FileResponse(handle, as_attachment=True, filename=filename)
