"""The pages of one item (附件1 or 附件2) past its editing: what it says, its history, and the
actions the viewer may take on it; and the bureau's opening of the base assessments."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from applications.choices import ServiceForm
from applications.models import Application
from bases.choices import HostType
from bases.forms import RectificationForm
from bases.models import Assessment
from bases.services import has_priority
from records import audit
from shanghai_experts import visibility
from shanghai_experts.forms import StaleVersion, autosave
from shanghai_experts.http import client_ip, kept_copy_saved
from shanghai_experts.models import Call, Organisation
from shanghai_experts.permissions import permission_required

from . import notes
from .documents import printing, scans
from .engine import guidance, services, workflow
from .engine.services import FUNDED_STATES
from .scoring import SCORABLE_STATES

#: Taken on the edit pages, not from the item page.
EDIT_PAGE_ACTIONS = frozenset({"submit", "submit_rectification"})


def _actions(item, user):
    return [t for t in workflow.available_actions(item, user) if t.action not in EDIT_PAGE_ACTIONS]


def _changed_since_return(item) -> list[str]:
    """For a returned item: the boxes the unit has already changed since it was returned."""
    if item.state != "returned":
        return []
    before, now = workflow.submitted_snapshot(item), item.snapshot()
    return [item.change_label(key) for key in now if now.get(key) != before.get(key)]


def _outcome(item, request) -> dict:
    """The item's stamped scans graded as the lists grade them, what the viewer was told of the
    result (guidance.result_for), and the next step that follows from both."""
    organisation = request.user.organisation
    context = scans.context_for(request.user, item)
    context["current_fingerprint"] = guidance.grade_scans(item, context["scans"])
    result = guidance.result_for(item, organisation)
    context["result"] = result
    context["next_steps"] = guidance.next_steps(
        item, organisation, scans=context["scans"], result=result
    )
    return context


def _notes(request, item) -> dict:
    organisation = request.user.organisation
    if not visibility.may_see(organisation, item, "notes"):
        return {}
    return {
        "notes": list(notes.notes_for(item, organisation)),
        "can_note": True,
        "note_draft": request.session.pop("note_draft", ""),
    }


def _quota(item, user) -> dict:
    """For the recommender about to recommend: how much of its quota is in use."""
    if item.counts_against_quota and item.recommender_id == user.organisation_id:
        used, quota = services.quota_usage(item.call, user.organisation)
        return {"quota_used": used, "quota": quota}
    return {}


def _on_its_page(model):
    """For permission_required's `fn`: the item of `model` with what its page shows; its rule
    decides who may open it."""

    def item(request, pk):
        return get_object_or_404(model.objects.for_item_page(), pk=pk)

    return item


def _notice_item(request, pk):
    return get_object_or_404(
        Application.objects.select_related("call", "unit", "recommender"), pk=pk
    )


def form_table(app) -> dict:
    """What applications/_form_table.html shows of 附件1: the roster, the places and the counts
    derived from them (覆盖 N 个地市、N 个区县), the budget. Every page that shows the form
    (the item page, the reviewer's masked copy) takes it from here."""
    places = list(app.places.all())
    cities, counties = app.place_counts(places)
    return {
        "app": app,
        "experts": list(app.experts.all()),
        "places": places,
        "city_count": cities,
        "county_count": counties,
        "budget_items": list(app.budget_items.all()),
        "funding_sources": list(app.funding_sources.all()),
        "service_form_choices": ServiceForm.choices,
    }


@permission_required("applications.see_application", fn=_on_its_page(Application))
def application_detail(request, app, pk):
    """附件1 as submitted, its history, and what the viewer may do with it."""
    return render(
        request,
        "applications/detail.html",
        {
            **form_table(app),
            "history": workflow.history_for(app, request.user.organisation),
            "actions": _actions(app, request.user),
            "changed_since_return": _changed_since_return(app),
            **_notes(request, app),
            **_quota(app, request.user),
            "funding_form": request.user.organisation.is_bureau and app.state in FUNDED_STATES,
            "can_score": request.user.organisation.is_bureau and app.state in SCORABLE_STATES,
            "priority": has_priority(app.unit, app.call),
            **_outcome(app, request),
            "is_owner": app.unit_id == request.user.organisation_id,
        },
    )


@permission_required("reviews.see_project_notice", fn=_notice_item)
def project_notice(request, app, pk):
    """The 立项通知 of a selected team, for whoever may read its published result (the unit,
    its recommender, the bureau); a 404 for anything else, and before publication."""
    result = guidance.result_for(app, request.user.organisation)
    if result is None or not result.notice:
        raise Http404
    bureau = Organisation.objects.filter(kind=Organisation.Kind.MUNICIPAL).order_by("pk").first()
    pdf = printing.project_notice_pdf(
        app, result, bureau.name if bureau is not None else printing.BUREAU_NAME
    )
    audit.record(
        app,
        action="download_pdf",
        label="下载立项通知",
        user=request.user,
        comment=printing.project_notice_filename(app),
        client_ip=client_ip(request),
        state=app.state,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, printing.project_notice_filename(app)
    )
    return response


@require_POST
@permission_required("bases.open_assessments")
def open_assessments(request):
    """The bureau opens the 附件2 forms of the bases due in the current call."""
    call = Call.objects.current()
    if call is None:
        raise Http404
    try:
        opened = services.open_assessments(
            call=call, user=request.user, client_ip=client_ip(request)
        )
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("bases:list")
    if opened:
        messages.success(
            request, f"已发起 {len(opened)} 个基地的动态管理评估，依托单位可填写附件2。"
        )
    else:
        messages.info(request, "没有待发起评估的基地。")
    return redirect("bases:list")


@permission_required("bases.see_assessment", fn=_on_its_page(Assessment))
def assessment_detail(request, assessment, pk):
    form = None
    if assessment.unit_id == request.user.organisation.pk and assessment.state == "rectifying":
        form = RectificationForm(instance=assessment)
    return _render_detail(request, assessment, form)


def _render_detail(request, assessment, rectification_form=None):
    return render(
        request,
        "bases/assessment_detail.html",
        {
            "item": assessment,
            "assessment": assessment,
            "history": workflow.history_for(assessment, request.user.organisation),
            "actions": _actions(assessment, request.user),
            "changed_since_return": _changed_since_return(assessment),
            **_notes(request, assessment),
            "is_owner": assessment.unit_id == request.user.organisation.pk,
            "rectification_form": rectification_form,
            "host_types": HostType.choices,
            **_outcome(assessment, request),
        },
    )


@require_POST
@permission_required("bases.rectify_assessment", fn=_on_its_page(Assessment))
def rectification(request, assessment, pk):
    """The unit saves its rectification report, and submits it to the bureau."""
    if assessment.state != "rectifying":
        messages.error(request, f"当前状态为“{assessment.get_state_display()}”，不能修改整改报告。")
        return redirect(assessment)
    form = RectificationForm(request.POST, instance=assessment)
    if request.POST.get("action") == "autosave":
        return autosave(form)
    if not form.is_valid():
        return _render_detail(request, assessment, form)
    try:
        assessment = form.save_checked()
    except StaleVersion:
        messages.error(request, "未保存：整改报告已被他人修改，您填写的内容仍在下方。")
        return _render_detail(request, assessment, form)
    kept_copy_saved(request)  # the browser's copy of what was sent need not be offered back
    if request.POST.get("action") != "submit":
        messages.success(request, "整改报告已保存。")
        return redirect(assessment)
    reason = workflow.refusal(assessment, "submit_rectification", request.user)
    if reason:
        messages.error(request, f"整改报告已保存，但未能提交：{reason}")
        return redirect(assessment)
    # Saved; confirmed with the 信用承诺 on a page of its own (views.rectification_submit).
    return redirect("reviews:rectification_submit", pk=assessment.pk)
