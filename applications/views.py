import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shanghai_experts.forms import StaleVersion, autosave_answer, section_status
from shanghai_experts.http import kept_copy_saved
from shanghai_experts.models import Call
from shanghai_experts.pledge import PLEDGE, confirm_submission

from .choices import ServiceForm
from .forms import ApplicationBundle
from .models import Application
from .rules import FORM_SECTIONS
from .services import CreationRefused, create_application


def _unit_of(request):
    org = request.user.organisation
    if org is None or not org.is_unit:
        raise Http404
    return org


@require_POST
def create(request):
    unit = _unit_of(request)
    call = Call.objects.current()
    if call is None:
        raise Http404
    try:
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        token = None
    try:
        app, created = create_application(unit=unit, call=call, token=token)
    except CreationRefused as exc:
        messages.error(request, str(exc))
        return redirect("home")
    if created:
        messages.success(request, "已新建申报草稿，可随时保存，之后继续填写。")
    return redirect("applications:edit", pk=app.pk)


def edit(request, pk, *, transition, refusal):
    """The unit fills 附件1. 提交申报 saves what is on the page, then (when the engine's
    `refusal`, wired in the URLconf, finds nothing missing) opens the confirmation page."""
    unit = _unit_of(request)
    app = get_object_or_404(
        Application.objects.visible_to(request.user).for_item_page().filter(unit=unit), pk=pk
    )
    if not app.is_editable:
        messages.info(request, f"当前状态为“{app.get_state_display()}”，不能修改。")
        return redirect(app)
    if request.method != "POST":
        return _render_edit(request, ApplicationBundle(app))

    bundle = ApplicationBundle(app, data=request.POST)
    submitting = request.POST.get("action") == "submit"
    if request.POST.get("action") == "autosave":
        return _autosave(bundle)
    if not bundle.is_valid():
        messages.error(request, "未保存：以下内容格式有误，请更正后再保存。")
        bundle.summary = bundle.format_summary()
        return _render_edit(request, bundle, status=200)
    try:
        app = bundle.save()
    except StaleVersion:
        return _render_edit(request, bundle, stale=True)
    kept_copy_saved(request)  # the browser's copy of what was sent need not be offered back
    if not submitting:
        messages.success(request, "草稿已保存。")
        return redirect("applications:edit", pk=app.pk)

    reason = refusal(app, "submit", request.user)
    if reason:
        return _not_submitted(request, app, reason)
    return redirect("applications:submit", pk=app.pk)


def _not_submitted(request, app, reason: str):
    """The edit page again, each problem on its box."""
    app.refresh_from_db()
    fresh = ApplicationBundle(app)
    fresh.attach(app.submission_problems())
    messages.error(request, f"草稿已保存，但未能提交：{reason}")
    return _render_edit(request, fresh)


def submit(request, pk, *, transition, refusal):
    """提交申报, confirmed: what will be sent and to whom, and the 信用承诺 the unit ticks. The
    submission carries the version previewed, so a form saved since (another tab) is refused."""
    unit = _unit_of(request)
    app = get_object_or_404(
        Application.objects.visible_to(request.user)
        .for_item_page()
        .select_related("recommender")
        .filter(unit=unit),
        pk=pk,
    )
    if not app.is_editable:
        messages.info(request, f"当前状态为“{app.get_state_display()}”，不能提交。")
        return redirect(app)
    reason = refusal(app, "submit", request.user)
    if reason:
        return _not_submitted(request, app, reason)
    response, form = confirm_submission(
        request,
        app,
        transition=transition,
        action="submit",
        here=reverse("applications:submit", args=[app.pk]),
        done=lambda app: f"已提交至{app.recommender}。推荐单位受理前，您可在此查看申报状态。",
        what="申报表",
    )
    if response:
        return response
    experts = list(app.experts.all())
    places = list(app.places.all())
    cities, counties = app.place_counts(places)
    return render(
        request,
        "applications/submit.html",
        {
            "app": app,
            "form": form,
            "pledge": PLEDGE,
            "experts": experts,
            "places": places,
            "city_count": cities,
            "county_count": counties,
            "budget_items": list(app.budget_items.all()),
            "funding_sources": list(app.funding_sources.all()),
            "service_form_choices": ServiceForm.choices,
        },
    )


def _autosave(bundle: ApplicationBundle):
    """The same versioned save as 保存草稿, answered in JSON; it never submits."""
    if not bundle.is_valid():
        return autosave_answer(errors=bundle.format_summary())
    try:
        app = bundle.save()
    except StaleVersion:
        return autosave_answer(stale=True)
    rows = {
        prefix: [form.instance.pk for form in formset.forms]
        for prefix, formset in bundle.formsets.items()
    }
    return autosave_answer(saved=app.updated_at, version=app.version, rows=rows)


def _render_edit(request, bundle: ApplicationBundle, status: int = 200, *, stale=False):
    """`stale`: the save was refused because the form was saved elsewhere since the page was
    opened; the page offers the latest version, beside which the typing can be restored."""
    app = bundle.application
    return render(
        request,
        "applications/edit.html",
        {
            "app": app,
            "bundle": bundle,
            "form": bundle.form,
            "sections": section_status(app.submission_problems(), FORM_SECTIONS),
            "stale": stale,
            **bundle.formsets,
        },
        status=status,
    )
