"""The queues: the recommender's and the bureau's lists, bulk actions, the summary, the 一览表."""

from django.http import Http404
from django.shortcuts import render

from shanghai_experts import visibility
from shanghai_experts.models import Call
from shanghai_experts.paging import CappedPaginator, Concatenated, capped_counts, count_label
from shanghai_experts.permissions import allowed, permission_required

from .. import columns
from ..documents import exports
from ..engine import workflow
from ..engine.workflow import APPLICATION, ASSESSMENT
from ..models import RecommenderFiling
from ..queries import (
    QueueFilter,
    assessment_queue,
    base_assessment_queue,
    base_queue,
    complete_rows,
    priority_first,
    queue,
    recommenders,
    summary_by_recommender,
    totals,
)
from .background import start_export
from .bulk import bulk
from .common import PAGE_SIZE, current_call


@permission_required("reviews.see_queue")
def queue_view(request):
    org = request.user.organisation
    call = Call.objects.current(org)  # with the organisation's deadline extension
    if call is None:
        raise Http404
    if request.method == "POST":
        return bulk(request)  # a confirmation page first (views/bulk.py)
    organisations = recommenders() if org.is_bureau else None
    filters = QueueFilter(request.GET or None, recommenders=organisations, call=call)
    # One table a page, 50 rows: service-team applications, or (category 服务基地评估) the
    # base assessments; the tabs above it count both.
    wants = filters.wants
    showing = ASSESSMENT if wants == {ASSESSMENT} else APPLICATION
    # Each tab's count reads the bare filtered rows, up to the cap (shanghai_experts.paging),
    # all in one statement; sorted 优先支持 first, the first part is counted too.
    counted = {}
    if APPLICATION in wants:
        counted[APPLICATION] = filters.apply(base_queue(request.user, call), sort=False)
    if ASSESSMENT in wants:
        counted[ASSESSMENT] = filters.apply_to_assessments(
            base_assessment_queue(request.user, call)
        )
    split = showing == APPLICATION and filters.priority_first
    if split:
        counted["first"] = priority_first(counted[APPLICATION], filters.priority_units)[0]
    found = dict(zip(counted, capped_counts(*counted.values()), strict=True))
    if showing == APPLICATION:
        shown = filters.apply(queue(request.user, call))
        if split:
            shown = Concatenated(*priority_first(shown, filters.priority_units), found["first"])
    else:
        shown = filters.apply_to_assessments(assessment_queue(request.user, call))
    paginator = CappedPaginator(shown, PAGE_SIZE, count_of=found[showing])
    page = paginator.get_page(request.GET.get("page"))
    # 优先支持 is read only where its column can show it (reviews.columns).
    priority = showing == APPLICATION and columns.BY_KEY["priority"].is_available_to(org)
    complete_rows(
        page, call, organisations, priority_units=filters.priority_units if priority else None
    )
    counts = {kind: count_label(found.get(kind, 0)) for kind in (APPLICATION, ASSESSMENT)}
    context = {
        "call": call,
        "filters": filters,
        # The bulk controls show only where a row on the page has a box to tick.
        "can_bulk": any(workflow.bulk_applies(item, org) for item in page),
        # The bureau's totals line: the count is the paginator's; the sums (资助经费 among
        # them: for a reader who sees the funding of every row) read every matching row, so
        # they come by a second request (queue_totals) after the page.
        "show_totals": showing == APPLICATION and visibility.may_see_in_list(org, "funding"),
        "page": page,
        "showing": showing,
        "counts": counts,
        "organisation": org,
        "deadline": call.deadline_for(org),
        "quota": call.quota_for(org) if org.is_recommender else None,
        # 推荐 needs the contact the notice asks for: say so before the clerk tries.
        "needs_contact": org.is_recommender
        and not RecommenderFiling.objects.filter(call=call, organisation=org)
        .with_contact()
        .exists(),
    }
    return render(request, "reviews/queue.html", context)


@permission_required("reviews.see_summary")
def queue_totals(request):
    """The bureau list's totals line for its filters: count, 申请经费, 资助经费 and 配套支持 of
    every matching item. The list page asks for it after showing its 50 rows (static/js/
    queue.js); without JavaScript the line's link opens it as a page of its own."""
    call = current_call()
    filters = QueueFilter(request.GET or None, recommenders=recommenders(), call=call)
    # The bare filtered list: no row annotations, no order, one aggregate.
    apps = filters.apply(base_queue(request.user, call), sort=False)
    context = {"totals": totals(apps), "call": call, "query": request.GET.urlencode()}
    if request.GET.get("fragment"):
        return render(request, "reviews/_totals_row.html", context)
    return render(request, "reviews/totals.html", context)


@permission_required("reviews.see_summary")
def summary(request):
    """The bureau's overview: how many items each recommender sent, by category and stage."""
    call = current_call()
    rows = summary_by_recommender(call, recommenders())
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("total", "national", "municipal", "recommended")
    }
    return render(request, "reviews/summary.html", {"call": call, "rows": rows, "totals": totals})


@permission_required("reviews.see_queue")
def export_list(request):
    """附件3 一览表 as .xlsx: the recommender's own, the bureau's filtered list, or the
    national recommendation list (?list=national); built in the background (jobs)."""
    org = request.user.organisation
    call = Call.objects.current()
    if call is None:
        raise Http404
    national = request.GET.get("list") == "national"
    if national and not allowed(request.user, "reviews.export_national_list"):
        raise Http404
    label = (
        exports.title_for(call, national=True)
        if national
        else f"{call.year}年专家服务基层项目一览表（{org}）"
    )
    return start_export(request, "export_list", label, call=call.pk)
