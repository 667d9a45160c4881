from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from shanghai_experts.forms import StaleVersion, autosave_answer, section_status, summary_label
from shanghai_experts.http import kept_copy_saved
from shanghai_experts.models import Call
from shanghai_experts.pledge import PLEDGE, confirm_submission
from shanghai_experts.text import parse_id

from . import services
from .choices import BaseLevel
from .forms import AssessmentForm, BaseForm
from .models import Assessment, Base
from .rules import FORM_SECTIONS


def _org(request):
    org = request.user.organisation
    if org is None:
        raise Http404
    return org


def _bureau(request):
    org = _org(request)
    if not org.is_bureau:
        raise Http404
    return org


def base_list(request):
    """The bureau's registry of bases; a unit's own bases. Both with this call's assessments."""
    org = _org(request)
    if not (org.is_bureau or org.is_unit):
        raise Http404
    call = Call.objects.current()
    bases = Base.objects.visible_to(request.user).select_related("host_unit")
    level = request.GET.get("level", "")
    if level in BaseLevel.values:
        bases = bases.filter(level=level)
    year = request.GET.get("year", "")
    if (selected := parse_id(year)) is not None and selected < 10000:
        bases = bases.filter(year_selected=selected)
    assessments = {}
    if call is not None:
        # The bureau sees that an assessment it opened is still a draft (its state), not the
        # draft itself: the link to it appears once it is submitted.
        scope = Assessment.objects.filter(
            unit__in=Base.objects.visible_to(request.user).values("host_unit")
        )
        assessments = {
            a.base_id: a
            for a in scope.filter(call=call).only(
                "id", "base_id", "state", "rectify_deadline", "call_id", "version"
            )
        }
    rows = [(base, assessments.get(base.pk)) for base in bases]
    context = {
        "call": call,
        "rows": rows,
        "organisation": org,
        "level": level,
        "year": year,
        "levels": BaseLevel.choices,
    }
    if org.is_bureau and call is not None:
        context["due"] = list(services.bases_due(call))
    return render(request, "bases/list.html", context)


def base_form(request, pk=None):
    _bureau(request)
    base = get_object_or_404(Base, pk=pk) if pk else None
    form = BaseForm(request.POST or None, instance=base)
    if request.method == "POST":
        if form.is_valid():
            base = form.save()
            messages.success(request, f"已保存基地“{base}”。")
            return redirect("bases:list")
        messages.error(request, "未保存：请更正标出的内容。")
    return render(request, "bases/base_form.html", {"form": form, "base": base})


def assessment_edit(request, pk, *, transition, refusal):
    """The unit fills 附件2. 提交 saves what is on the page, then (when the engine's `refusal`,
    wired in the URLconf, finds nothing missing) opens the confirmation page."""
    org = _org(request)
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).for_item_page().filter(unit=org), pk=pk
    )
    if not assessment.is_editable:
        messages.info(request, f"当前状态为“{assessment.get_state_display()}”，不能修改。")
        return redirect(assessment)
    if request.method != "POST":
        return _render_edit(request, AssessmentForm(instance=assessment))
    form = AssessmentForm(request.POST, instance=assessment)
    if request.POST.get("action") == "autosave":
        return autosave(form)
    if not form.is_valid():
        messages.error(request, "未保存：以下内容格式有误，请更正后再保存。")
        return _render_edit(request, form, form.format_summary())
    try:
        assessment = form.save_checked()
    except StaleVersion:
        return _render_edit(request, form, stale=True)
    kept_copy_saved(request)  # the browser's copy of what was sent need not be offered back
    if request.POST.get("action") != "submit":
        messages.success(request, "草稿已保存。")
        return redirect("bases:assessment_edit", pk=assessment.pk)
    reason = refusal(assessment, "submit", request.user)
    if reason:
        return _not_submitted(request, assessment, reason)
    return redirect("bases:assessment_submit", pk=assessment.pk)


def _not_submitted(request, assessment, reason: str):
    """The edit page again, each problem on its box."""
    assessment.refresh_from_db()
    fresh = AssessmentForm(instance=assessment)
    summary = fresh.attach(assessment.submission_problems())
    messages.error(request, f"草稿已保存，但未能提交：{reason}")
    return _render_edit(request, fresh, summary)


def assessment_submit(request, pk, *, transition, refusal):
    """附件2 提交, confirmed: what will be sent and to whom, and the 信用承诺 the unit ticks;
    the version previewed is carried, so a form saved since is refused."""
    org = _org(request)
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user)
        .for_item_page()
        .select_related("recommender")
        .filter(unit=org),
        pk=pk,
    )
    if not assessment.is_editable:
        messages.info(request, f"当前状态为“{assessment.get_state_display()}”，不能提交。")
        return redirect(assessment)
    reason = refusal(assessment, "submit", request.user)
    if reason:
        return _not_submitted(request, assessment, reason)
    response, form = confirm_submission(
        request,
        assessment,
        transition=transition,
        action="submit",
        here=reverse("bases:assessment_submit", args=[assessment.pk]),
        done=lambda assessment: f"已提交至{assessment.recommender}。",
    )
    if response:
        return response
    return render(
        request,
        "bases/submit.html",
        {"assessment": assessment, "form": form, "pledge": PLEDGE},
    )


def autosave(form):
    """The same versioned save as 保存草稿, answered in JSON; it never submits."""
    if not form.is_valid():
        errors = [
            f"{'表单' if n == '__all__' else summary_label(form, n)}：{e}"
            for n, es in form.errors.items()
            for e in es
        ]
        return autosave_answer(errors=errors)
    try:
        assessment = form.save_checked()
    except StaleVersion:
        return autosave_answer(stale=True)
    return autosave_answer(saved=assessment.updated_at, version=assessment.version)


def _render_edit(request, form, summary=None, *, stale=False):
    """`stale`: as in applications.views._render_edit."""
    summary = summary or []
    anchors = getattr(form, "summary_anchors", [])
    anchors = anchors + [""] * (len(summary) - len(anchors))
    return render(
        request,
        "bases/assessment_edit.html",
        {
            "form": form,
            "assessment": form.instance,
            "summary": summary,
            "summary_items": list(zip(summary, anchors, strict=False)),
            "sections": section_status(form.instance.submission_problems(), FORM_SECTIONS),
            "stale": stale,
        },
    )
