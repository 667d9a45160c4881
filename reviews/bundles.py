"""The files the lists offer as background jobs (jobs.registry): the ZIP of stamp-ready PDFs
and scans, with no cap on its size.

What goes into a file is chosen exactly as the page that offers it chooses (its filters, or
the items ticked), under the scope of the user who asked, again in the worker.
"""

import itertools

from django.http import QueryDict

from applications.models import Application
from bases.models import Assessment
from jobs import registry
from shanghai_experts.models import Call, Organisation
from shanghai_experts.text import parse_ids

from . import exports, filing, printing
from .queries import QueueFilter, export_applications, export_assessments, recommenders
from .workflow import APPLICATION, ASSESSMENT


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
