"""Decisions on an item: confirmation pages, notes, rankings, funding, scores, publication."""

from decimal import Decimal, InvalidOperation
from functools import partial

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bases.models import Assessment
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required
from shanghai_experts.pledge import PLEDGE, confirm_submission
from shanghai_experts.text import parse_ids

from .. import notes, publication, scoring
from ..engine import services, workflow
from ..models import Publication
from ..sheet_entry import SheetEntry
from .common import current_call, item_getter


class ActionForm(forms.Form):
    """What a workflow action carries: an opinion or reason, a deadline for 限期整改, and the
    item's version on the page the user acted from."""

    comment = forms.CharField(label="意见", required=False, max_length=2000)
    deadline = forms.DateField(
        label="整改期限",
        required=False,
        error_messages={"invalid": "请选择日期，例如 2026-06-30。"},
    )
    #: 人社部批准: the Ministry's document (checked by the workflow: mohrss_approval_given).
    document_number = forms.CharField(label="人社部批准文号", required=False, max_length=40)
    approved_on = forms.DateField(
        label="批准日期",
        required=False,
        error_messages={"invalid": "批准日期：请选择日期，例如 2026-05-10。"},
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        comment = self.fields["comment"]
        comment.label = transition.comment_label or "理由"
        comment.required = transition.comment_required
        comment.widget = forms.Textarea(attrs={"rows": 4, "class": "form-control"})
        comment.error_messages["required"] = f"“{transition.label}”须填写意见。"
        self.fields["deadline"].widget = forms.DateInput(
            attrs={"type": "date", "class": "form-control", "style": "max-width:12em"}
        )
        self.fields["deadline"].required = transition.asks_deadline
        self.fields["deadline"].error_messages["required"] = "限期整改须填写整改期限。"
        approval = transition.asks_approval
        self.fields["document_number"].required = approval
        self.fields["document_number"].error_messages.update(
            required="人社部批准文号：请填写人社部批准文件的文号，例如 人社厅函〔2026〕58号。",
            max_length="人社部批准文号：不超过 40 个字符。",
        )
        self.fields["approved_on"].required = approval
        self.fields["approved_on"].error_messages["required"] = (
            "批准日期：请填写人社部批准文件的日期。"
        )

    def params(self) -> dict:
        """What the workflow's checks and effects read besides the comment."""
        data = self.cleaned_data
        if self.transition.asks_approval:
            return {"document_number": data["document_number"], "approved_on": data["approved_on"]}
        return {"deadline": data["deadline"]} if data["deadline"] else {}


def _act_page(request, item, t, form, status=200):
    org = request.user.organisation
    context = {
        "item": item,
        "transition": t,
        "form": form,
        "consequence": t.consequence,
        "post_url": request.path,
    }
    if t.action == "recommend" and item.counts_against_quota:
        context["quota_used"], context["quota"] = services.quota_usage(item.call, org)
    return render(request, "reviews/confirm.html", context, status=status)


@permission_required("reviews.act_on_item", fn=item_getter("call", "unit"))
def act(request, item, pk, action, kind=workflow.APPLICATION):
    """An action on an item: a confirmation page first (GET), the transition on POST."""
    t = workflow.TRANSITIONS.get(action)
    if t is None:
        raise Http404  # not an action at all: nothing to refuse, nothing to audit
    if request.method != "POST":
        reason = workflow.refusal(item, action, request.user, run_checks=False)
        if reason:
            messages.error(request, f"不能{t.label}：{reason}")
            return redirect(item)
        form = ActionForm(initial={"version": item.version}, transition=t)
        return _act_page(request, item, t, form)
    form = ActionForm(request.POST, transition=t)
    if not form.is_valid():
        problems = [e for errors in form.errors.values() for e in errors]
        messages.error(
            request, f"未能{t.label}：" + "；".join(p.rstrip("。") for p in problems) + "。"
        )
        return _act_page(request, item, t, form)
    try:
        item = workflow.transition(
            item,
            action,
            user=request.user,
            comment=form.cleaned_data["comment"],
            client_ip=client_ip(request),
            params=form.params(),
            version=form.cleaned_data["version"],
        )
    except workflow.WorkflowError as exc:
        messages.error(request, f"未能{t.label}：{exc}")
        return _act_page(request, item, t, form)
    messages.success(request, f"已{t.label}。当前状态：{item.get_state_display()}。")
    return redirect(item)


@require_POST
@permission_required("reviews.note_item", fn=item_getter())
def add_note(request, item, pk, kind=workflow.APPLICATION):
    try:
        notes.add_note(
            item, user=request.user, text=request.POST.get("text", ""), client_ip=client_ip(request)
        )
    except workflow.WorkflowError as exc:
        messages.error(request, f"未保存：{exc}")
        request.session["note_draft"] = request.POST.get("text", "")[: notes.MAX_LENGTH]
    else:
        messages.success(request, "内部意见已保存（申报单位看不到）。")
    return redirect(item)


def _ordering_page(request, *, save, url_name, saved, template, context):
    """A page that puts a list in order with 上移/下移 and saves it through `save`."""
    if request.method == "POST":
        try:
            ordered = parse_ids(request.POST.getlist("order"))
            save(user=request.user, ordered_pks=ordered, client_ip=client_ip(request))
            messages.success(request, saved)
        except (ValueError, workflow.WorkflowError) as exc:
            messages.error(request, f"排序未保存：{exc}")
        return redirect(url_name)
    return render(request, template, context)


@permission_required("reviews.rank_items")
def ranking(request):
    """The recommender's order of what it recommended (优中选优), until its deadline."""
    org = request.user.organisation
    call = Call.objects.current()
    if call is None:
        raise Http404
    return _ordering_page(
        request,
        save=partial(services.set_ranking, call=call),
        url_name="reviews:ranking",
        saved="推荐排序已保存。",
        template="reviews/ranking.html",
        context={
            "call": call,
            "items": services.ranked_recommendations(call, org),
            "quota": call.quota_for(org),
            "deadline": call.deadline_for(org),
        },
    )


@require_POST
@permission_required("reviews.fund_item", fn=item_getter())
def funding(request, app, pk):
    try:
        granted = Decimal(request.POST.get("funding_granted", "").strip())
        support_text = request.POST.get("bureau_support", "").strip()
        support = Decimal(support_text) if support_text else None
        services.record_funding(
            app, user=request.user, granted=granted, support=support, client_ip=client_ip(request)
        )
        messages.success(request, "资助经费已登记。")
    except InvalidOperation:
        messages.error(request, "资助经费：请输入金额（万元），例如 12.5。")
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect(app)


@permission_required("reviews.score_item", fn=item_getter("call", "unit", "recommender"))
def score(request, app, pk):
    """The bureau reviewer's score sheet for one item, beside every reviewer's totals."""
    criteria = list(app.call.criteria.all())
    sheets = [s for s in scoring.sheets_for(app) if s.submitted_at]
    mine = next((s for s in sheets if s.reviewer_id == request.user.pk), None)
    entry = SheetEntry.of(criteria, mine)
    if request.method == "POST":
        entry = SheetEntry.typed_in(criteria, request.POST)
        if entry.save(request, app):
            messages.success(request, "评分已保存。")
            return redirect("reviews:score", pk=app.pk)
    return render(
        request,
        "reviews/score.html",
        {
            "app": app,
            "rows": entry.rows,
            "comment": entry.comment,
            "sheets": sheets,
            "criteria": criteria,
            "version": mine.version if mine else 0,
            "can_score": app.state in scoring.SCORABLE_STATES,
        },
    )


def _assessment(request, pk):
    return get_object_or_404(Assessment.objects.select_related("call", "unit", "base"), pk=pk)


@permission_required("bases.rectify_assessment", fn=_assessment)
def rectification_submit(request, assessment, pk):
    """提交整改报告, confirmed: the saved report as it will be sent to the bureau, and the
    信用承诺 the unit ticks; the version previewed is carried, so a report saved since (another
    tab) is refused. The report itself is saved on the item page (item_views.rectification)."""
    reason = workflow.refusal(assessment, "submit_rectification", request.user)
    if reason:
        messages.error(request, f"未能提交整改报告：{reason}")
        return redirect(assessment)
    response, form = confirm_submission(
        request,
        assessment,
        transition=workflow.transition,
        action="submit_rectification",
        here=reverse("reviews:rectification_submit", args=[assessment.pk]),
        done=lambda assessment: "整改报告已提交市人社局审核。",
        what="整改报告",
        # The report goes into the history with each round, as its comment.
        comment=assessment.rectification_report,
    )
    if response:
        return response
    return render(
        request,
        "bases/rectification_submit.html",
        {"assessment": assessment, "form": form, "pledge": PLEDGE},
    )


@permission_required("reviews.publish_results")
def publish(request):
    """公布结果: the bureau previews who will be told what, then confirms."""
    call = current_call()
    stage = request.POST.get("stage") or request.GET.get("stage") or Publication.Stage.SELECTION
    if stage not in Publication.Stage.values:
        stage = Publication.Stage.SELECTION
    if request.method == "POST":
        try:
            done = publication.publish(
                call=call,
                stage=stage,
                user=request.user,
                client_ip=client_ip(request),
                seen=request.POST.get("seen", ""),
            )
        except workflow.WorkflowError as exc:
            messages.error(request, f"未公布：{exc}")
        else:
            messages.success(
                request, f"已公布{done.get_stage_display()}：{done.items} 个项目，已通知相关单位。"
            )
            return redirect(f"{reverse('reviews:publish')}?stage={stage}")
    return render(
        request,
        "reviews/publish.html",
        {
            "call": call,
            "stage": stage,
            "stages": Publication.Stage.choices,
            "preview": publication.preview(call, stage),
            "published": call.publications.select_related("published_by"),
        },
    )


@permission_required("reviews.publish_results")
def national_order(request):
    """The bureau puts its national candidates in the order it recommends them to MOHRSS."""
    call = current_call()
    return _ordering_page(
        request,
        save=partial(services.set_national_order, call=call),
        url_name="reviews:national_order",
        saved="推荐国家级的排序已保存，导出的推荐名单按此顺序。",
        template="reviews/national_order.html",
        context={"call": call, "items": services.national_candidates(call)},
    )
