"""The files the lists offer as background jobs (jobs.registry): the ZIP of stamp-ready PDFs
and scans, with no cap on its size; the 一览表 and the national list; 统计; the audit log.

What goes into a file is chosen exactly as the page that offers it chooses (its filters, or
the items ticked), under the scope of the user who asked, again in the worker.
"""

import itertools

from django.http import QueryDict
from django.utils import timezone

from applications.models import Application
from bases.models import Assessment
from jobs import registry
from jobs.services import JobError
from shanghai_experts.models import Call, Organisation
from shanghai_experts.permissions import allowed
from shanghai_experts.text import parse_ids

from . import statistics
from .documents import exports, filing, printing
from .engine import services
from .engine.workflow import APPLICATION, ASSESSMENT
from .operations import audit_log
from .queries import QueueFilter, export_applications, export_assessments, recommenders


def zip_params(request) -> dict:
    """What the worker needs to choose the same items: the list's filters (GET) or the
    ticked items (POST), and the call."""
    if request.method == "POST":
        return {
            "ticked": {
                name: sorted(parse_ids(request.POST.getlist(name)))
                for name in ("selected", "selected_assessment")
            }
        }
    return {"query": request.GET.urlencode()}


def zip_selection(user, call: Call, params: dict):
    """(applications, assessments, the organisation whose 推荐函 leads, the file name) of a
    ZIP, within `user`'s scope."""
    org = user.organisation
    data = QueryDict(params.get("query", ""))
    filters = QueueFilter(
        data or None, recommenders=recommenders() if org.is_bureau else None, call=call
    )
    ticked = params.get("ticked")
    if ticked is not None:
        apps = Application.objects.visible_to(user).filter(pk__in=ticked.get("selected", []))
        assessments = Assessment.objects.visible_to(user).filter(
            pk__in=ticked.get("selected_assessment", [])
        )
    else:
        apps = export_applications(user, call, filters)
        assessments = export_assessments(user, call, filters)
        if APPLICATION not in filters.wants:
            apps = apps.none()
        if ASSESSMENT not in filters.wants:
            assessments = assessments.none()
    apps = apps.select_related("call", "unit", "recommender").order_by(*exports.RANK_ORDER)
    apps = apps.prefetch_related("experts", "places", "budget_items", "funding_sources")
    assessments = assessments.select_related("call", "unit", "recommender", "base").order_by(
        "recommender_id", "-submitted_at", "id"
    )
    # A recommender's ZIP, or the bureau's filtered to one recommender, opens with its 推荐函.
    letter_of = org if org.is_recommender and ticked is None else None
    if org.is_bureau and ticked is None:
        chosen = filters.chosen.get("recommender")
        letter_of = (
            Organisation.objects.filter(pk=chosen, kind__in=Organisation.RECOMMENDER_KINDS).first()
            if chosen
            else None
        )
    filename = f"{call.year}年专家服务基层项目申报表（{org}）.zip"
    return apps, assessments, letter_of, filename


def build_zip(job, out, progress):
    call = Call.objects.get(pk=job.params["call"])
    apps, assessments, letter_of, filename = zip_selection(job.user, call, job.params)
    total = apps.count() + assessments.count()
    progress(0, total, force=True)
    leading = (
        [(filing.letter_filename(call, letter_of), filing.letter_pdf(call, letter_of))]
        if letter_of is not None
        else []
    )

    # .iterator(): a ZIP of thousands of forms never holds them all in memory (the prefetch
    # applies to each chunk).
    items = itertools.chain(apps.iterator(chunk_size=200), assessments.iterator(chunk_size=200))
    pieces = printing.zip_stream(items, leading=leading, progress=lambda n: progress(n, total))
    for piece in pieces:
        out.write(piece)
    progress(total, total, force=True)
    return filename, "application/zip"


registry.register(
    registry.JobKind(
        name="zip_pdfs",
        label="批量下载打印表",
        build=build_zip,
        audit=("download_zip", "批量下载打印表"),
    )
)


# --- the exports: 一览表 (and the national list), 统计, 审计日志 ---------------------------------


def build_export_list(job, out, progress):
    """附件3 一览表 as the queue filtered it (or the national list), under the job's user."""
    user = job.user
    org = user.organisation
    call = Call.objects.get(pk=job.params["call"])
    data = QueryDict(job.params.get("query", ""))
    national = data.get("list") == "national"
    if national:
        if not allowed(user, "reviews.export_national_list"):
            raise JobError("只有市人社局可以导出推荐国家级名单。")
        apps, assessments = services.national_candidates(call), None
        order = services.NATIONAL_ORDER
        filename = f"{exports.title_for(call, national=True)}.xlsx"
    else:
        filters = QueueFilter(
            data or None, recommenders=recommenders() if org.is_bureau else None, call=call
        )
        wants = filters.wants
        apps = export_applications(user, call, filters) if APPLICATION in wants else None
        assessments = export_assessments(user, call, filters) if ASSESSMENT in wants else None
        order = exports.RANK_ORDER
        filename = f"{call.year}年专家服务基层项目一览表（{org}）.xlsx"
    total = (apps.count() if apps is not None else 0) + (
        assessments.count() if assessments is not None else 0
    )
    progress(0, total, force=True)
    exports.export_to(
        out,
        call,
        apps,
        assessments,
        order,
        national=national,
        viewer=org,
        each=lambda n: progress(n, total),
    )
    return filename, XLSX


def build_statistics(job, out, progress):
    org = job.user.organisation
    organisations = recommenders()
    scope, _filters, _calls = statistics.scope_from(
        QueryDict(job.params.get("query", "")), org, organisations
    )
    if scope.call is None:
        raise JobError("没有可统计的申报批次。")
    tables = statistics.build(scope, dict(organisations))
    progress(len(tables), len(tables), force=True)
    statistics.write_workbook(tables, out)
    return f"{scope.call.year}年专家服务基层项目统计（{org}）.xlsx", XLSX


def build_audit_log(job, out, progress):
    if not allowed(job.user, "reviews.see_security"):
        raise JobError("只有市人社局可以导出审计日志。")
    filters = audit_log.AuditFilter(QueryDict(job.params.get("query", "")) or None)
    audit_log.write_workbook(audit_log.records(filters), out, progress)
    return f"审计日志-{timezone.localdate():%Y%m%d}.xlsx", XLSX


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

for kind in (
    registry.JobKind(
        "export_list", "导出一览表", build_export_list, ("export", "导出一览表"), unit="行"
    ),
    registry.JobKind(
        "statistics_xlsx",
        "导出统计",
        build_statistics,
        ("export_statistics", "导出统计"),
        unit="张表",
    ),
    registry.JobKind(
        "audit_xlsx", "导出审计日志", build_audit_log, ("export_audit", "导出审计日志"), unit="条"
    ),
):
    registry.register(kind)
