"""Pages of the 评审专家 (their tasks, one item, its PDF) and the bureau's assignment and
progress pages."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from applications.models import Application
from records import audit
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call
from shanghai_experts.paging import CappedPaginator, count_label
from shanghai_experts.permissions import permission_required
from shanghai_experts.text import parse_id, parse_ids

from . import reviewers, scoring
from .documents import printing
from .engine.workflow import WorkflowError
from .item_views import form_table
from .models import ReviewAssignment, ScoreSheet
from .queries import AssignmentFilter
from .sheet_entry import SheetEntry
from .views.common import PAGE_SIZE, current_call


def _assignment(request, pk) -> ReviewAssignment:
    """The user's own assignment to item `pk` (the lookup is by the user: nobody reaches
    another reviewer's)."""
    assignment = reviewers.assignment_for(request.user, pk)
    if assignment is None:
        raise Http404  # another reviewer's item, or nobody's
    return assignment


# --- the 评审专家 -----------------------------------------------------------------------------


@permission_required("reviews.review_assigned")
def my_reviews(request):
    """The items assigned to this 评审专家, where each stands, 50 a page: what is left to do
    first, filtered by where it stands or searched by name."""
    filters = AssignmentFilter(request.GET or None)
    counts = reviewers.worklist_counts(request.user)
    shown = filters.apply(reviewers.assigned_items(request.user))
    # Without a search the count is one of the tabs' counts: no second COUNT.
    chosen = filters.chosen
    known = None if chosen.get("q") else counts[chosen.get("status") or "all"]
    page = CappedPaginator(shown, PAGE_SIZE, count_of=known).get_page(request.GET.get("page"))
    tabs = [("", "全部", count_label(counts["all"]))] + [
        (status.value, status.label, count_label(counts[status.value]))
        for status in ReviewAssignment.Status
    ]
    return render(
        request,
        "reviews/my_reviews.html",
        {
            "filters": filters,
            "page": page,
            "tabs": tabs,
            "counts": counts,
            "call": Call.objects.current(),
        },
    )


@permission_required("reviews.review_item", fn=_assignment)
def review(request, assignment, pk):
    """One assigned item: the declaration first, then the score sheet (own sheet only)."""
    app = assignment.application
    criteria = list(app.call.criteria.all())
    sheet = (
        ScoreSheet.objects.filter(application=app, reviewer=request.user)
        .prefetch_related("scores")
        .first()
    )
    entry = SheetEntry.of(criteria, sheet)
    if request.method == "POST":
        action = request.POST.get("action", "")
        confirmed = request.POST.get("confirmed") == "1"
        if action == "recuse" and not confirmed:
            return _confirm(request, app, "recuse")
        if action in ("declare", "recuse"):
            try:
                reviewers.declare(
                    assignment,
                    user=request.user,
                    recuse=action == "recuse",
                    client_ip=client_ip(request),
                )
            except WorkflowError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    "已申请回避。" if action == "recuse" else "已声明无利益冲突，可以评分。",
                )
            return redirect("reviews:review", pk=app.pk)
        entry = SheetEntry.typed_in(criteria, request.POST)
        late = scoring.deadline_refusal(app.call) if action == "submit" else None
        if late and not entry.errors:
            # Refused before the confirmation: the sheet again, as typed, nothing saved.
            messages.error(request, f"评分未提交：{late}")
        elif action == "submit" and not confirmed and not entry.errors:
            # What will be submitted, with its total, before it becomes final.
            return _confirm(request, app, "submit", entry=entry, criteria=criteria)
        elif action == "back":
            pass  # back from the confirmation: the sheet again, as typed, nothing saved
        elif entry.save(request, app, submit=action == "submit"):
            messages.success(
                request,
                "评分已提交。" if action == "submit" else "评分草稿已保存，提交前可修改。",
            )
            return redirect("reviews:review", pk=app.pk)
    return render(
        request,
        "reviews/review.html",
        {
            "assignment": assignment,
            **form_table(app),
            "sheet": sheet,
            "rows": entry.rows,
            "comment": entry.comment,
            "mask_contacts": True,
            "total": _shown_total(criteria, sheet, entry, posted=request.method == "POST"),
            "deadline": app.call.review_deadline,
            "late": scoring.deadline_refusal(app.call),
            "can_score": not (sheet and sheet.submitted_at)
            and app.state in scoring.SCORABLE_STATES
            and scoring.scoring_refusal(app, request.user) is None,
        },
    )


def _shown_total(criteria, sheet, entry, *, posted):
    """The weighted total the page shows beside the sheet: the saved sheet's, or that of the
    typed points when every one is valid (reviews.scoring's one rule either way)."""
    if not posted:
        return sheet.total if sheet else None
    if entry.errors or len(entry.points) != len(criteria):
        return None
    return scoring.weighted_total(criteria, entry.points)


def _confirm(request, app, action, *, entry=None, criteria=None):
    """The confirmation of 提交评分 (each criterion's points, the weighted total, the comment)
    or of 申请回避 (what follows from it); the typed sheet travels in hidden fields."""
    context = {"app": app, "action": action, "version": request.POST.get("version", "")}
    if entry is not None:
        context.update(
            rows=entry.rows,
            comment=entry.comment,
            total=scoring.weighted_total(criteria, entry.points),
        )
    return render(request, "reviews/review_confirm.html", context)


@permission_required("reviews.print_assigned", fn=_assignment)
def review_pdf(request, assignment, pk):
    """The submitted 附件1 of an assigned item, contacts masked (not once recused)."""
    app = assignment.application
    pdf = printing.render_html(printing.form_html(app, mask_contacts=True))
    audit.record(
        app,
        action="download_pdf",
        label="下载打印表",
        user=request.user,
        client_ip=client_ip(request),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, printing.filename_for(app))
    return response


# --- the bureau --------------------------------------------------------------------------------


@permission_required("reviews.assign_reviewers")
def assign(request):
    """The bureau assigns 评审专家: to a selection, or to every item of a 服务领域; N per item."""
    call = current_call()
    items = (
        Application.objects.filter(call=call, state__in=scoring.SCORABLE_STATES)
        .select_related("call", "unit")
        .order_by("service_field", "id")
    )
    field = request.GET.get("field", "").replace("\x00", "").strip()[:50]
    if field:
        items = items.filter(service_field__icontains=field)
    panel = list(reviewers.panel(call))
    if request.method == "POST":
        chosen_items = parse_ids(request.POST.getlist("items"))
        chosen_reviewers = set(parse_ids(request.POST.getlist("reviewers")))
        per_item = parse_id(request.POST.get("per_item"))
        selected = [a for a in items if a.pk in chosen_items] if chosen_items else []
        if request.POST.get("scope") == "field":
            selected = list(items)
        if not selected:
            messages.error(
                request, "未分配：请选择项目（或选择“按服务领域分配全部筛选出的项目”）。"
            )
        else:
            try:
                made, refused = reviewers.assign(
                    selected,
                    [r for r in panel if r.pk in chosen_reviewers],
                    per_item=per_item or None,
                    user=request.user,
                    client_ip=client_ip(request),
                )
            except WorkflowError as exc:
                messages.error(request, f"未分配：{exc}")
            else:
                messages.success(request, f"已分配 {len(made)} 项评审任务。")
                for reason in refused:
                    messages.warning(request, reason)
                return redirect(request.get_full_path())
    counts = {}
    for item_id, name, username in reviewers.ReviewAssignment.objects.filter(
        application__in=items
    ).values_list("application_id", "reviewer__first_name", "reviewer__username"):
        counts.setdefault(item_id, []).append(name or username)
    rows = [(a, counts.get(a.pk, [])) for a in items]
    return render(
        request,
        "reviews/assign.html",
        {"call": call, "rows": rows, "panel": panel, "field": field},
    )


@permission_required("reviews.assign_reviewers")
def progress(request):
    call = current_call()
    return render(
        request, "reviews/progress.html", {"call": call, "progress": reviewers.progress(call)}
    )


@require_POST
@permission_required("reviews.assign_reviewers")
def reopen(request, pk):
    """The bureau reopens a submitted sheet of a 评审专家."""
    sheet = get_object_or_404(ScoreSheet.objects.select_related("application"), pk=pk)
    try:
        scoring.reopen_sheet(
            sheet,
            user=request.user,
            reason=request.POST.get("reason", "").replace("\x00", "")[:500],
            client_ip=client_ip(request),
        )
    except WorkflowError as exc:
        messages.error(request, f"未重新开放：{exc}")
    else:
        messages.success(request, "评分表已重新开放，评审专家可以修改后再提交。")
    return redirect("reviews:score", pk=sheet.application_id)
