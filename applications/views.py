import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from bases.services import has_priority
from reviews import scans, workflow
from reviews.scoring import SCORABLE_STATES
from reviews.services import FUNDED_STATES
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call

from .forms import ApplicationBundle, StaleVersion
from .models import Application, ServiceForm
from .services import CreationRefused, create_application, history_with_changes


def _unit_of(request):
    org = request.user.organisation
    if org is None or not org.is_unit:
        raise Http404
    return org


def _detail_queryset(request):
    return Application.objects.visible_to(request.user).select_related(
        "call", "unit", "unit__district", "recommender"
    )


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


def edit(request, pk):
    unit = _unit_of(request)
    app = get_object_or_404(_detail_queryset(request).filter(unit=unit), pk=pk)
    if not app.is_editable:
        messages.info(request, f"当前状态为“{app.get_state_display()}”，不能修改。")
        return redirect(app)
    if request.method != "POST":
        return _render_edit(request, ApplicationBundle(app))

    bundle = ApplicationBundle(app, data=request.POST)
    submitting = request.POST.get("action") == "submit"
    if not bundle.is_valid():
        messages.error(request, "未保存：以下内容格式有误，请更正后再保存。")
        bundle.summary = bundle.format_summary()
        return _render_edit(request, bundle, status=200)
    try:
        app = bundle.save()
    except StaleVersion:
        messages.error(
            request,
            "未保存：在您编辑期间，本申报已被他人保存或状态已变化。您填写的内容仍在下方，"
            "请复制需要保留的内容后刷新页面再修改。",
        )
        return _render_edit(request, bundle)
    if not submitting:
        messages.success(request, "草稿已保存。")
        return redirect("applications:edit", pk=app.pk)

    try:
        app = workflow.transition(app, "submit", user=request.user, client_ip=client_ip(request))
    except workflow.WorkflowError as exc:
        app.refresh_from_db()
        fresh = ApplicationBundle(app)
        fresh.attach(app.submission_problems())
        messages.error(request, f"草稿已保存，但未能提交：{exc}")
        return _render_edit(request, fresh)
    messages.success(request, f"已提交至{app.recommender}。推荐单位受理前，您可在此查看申报状态。")
    return redirect(app)


def _render_edit(request, bundle: ApplicationBundle, status: int = 200):
    return render(
        request,
        "applications/edit.html",
        {"app": bundle.application, "bundle": bundle, "form": bundle.form, **bundle.formsets},
        status=status,
    )


def detail(request, pk):
    app = get_object_or_404(_detail_queryset(request), pk=pk)
    experts = list(app.experts.all())
    places = list(app.places.all())
    cities, counties = app.place_counts(places)
    return render(
        request,
        "applications/detail.html",
        {
            "app": app,
            "experts": experts,
            "places": places,
            "city_count": cities,
            "county_count": counties,
            "budget_items": list(app.budget_items.all()),
            "funding_sources": list(app.funding_sources.all()),
            "history": history_with_changes(app),
            "actions": workflow.available_actions(app, request.user),
            "funding_form": request.user.organisation.is_bureau and app.state in FUNDED_STATES,
            "can_score": request.user.organisation.is_bureau and app.state in SCORABLE_STATES,
            "priority": has_priority(app.unit, app.call),
            **scans.context_for(request.user, app),
            "is_owner": app.unit_id == request.user.organisation_id,
            "service_form_choices": ServiceForm.choices,
        },
    )
