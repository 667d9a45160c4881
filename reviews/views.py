from decimal import Decimal, InvalidOperation
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from applications.models import Application
from bases.models import Assessment
from shanghai_experts import lockout
from shanghai_experts.http import client_ip
from shanghai_experts.models import Call, Organisation
from shanghai_experts.text import parse_ids
from shanghai_experts.validators import date_problem

from . import (
    exports,
    notes,
    notifications,
    printing,
    publication,
    scans,
    scoring,
    services,
    workflow,
)
from .models import AuditRecord, Publication, StampedScan
from .queries import (
    QueueFilter,
    assessment_queue,
    export_applications,
    export_assessments,
    queue,
    recommenders,
    summary_by_recommender,
)
from .sheet_entry import SheetEntry
from .workflow import APPLICATION, ASSESSMENT

PAGE_SIZE = 50


def _reviewer_org(request):
    org = request.user.organisation
    if org is None or not (org.is_recommender or org.is_bureau):
        raise Http404
    return org


def queue_view(request):
    org = _reviewer_org(request)
    call = Call.objects.current()
    if call is None:
        raise Http404
    if request.method == "POST":
        return _bulk(request)
    organisations = recommenders() if org.is_bureau else None
    filters = QueueFilter(request.GET or None, recommenders=organisations)
    # One table a page, 50 rows: service-team applications, or (category 服务基地评估) the
    # base assessments; the tabs above it count both.
    wants = filters.wants
    showing = ASSESSMENT if wants == {ASSESSMENT} else APPLICATION
    apps = filters.apply(queue(request.user, call))
    assessments = filters.apply_to_assessments(assessment_queue(request.user, call))
    shown, other = (apps, assessments) if showing == APPLICATION else (assessments, apps)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.call = call  # one call for the page: its year makes each reference number
    other_kind = ASSESSMENT if showing == APPLICATION else APPLICATION
    other_count = other.count() if other_kind in wants else 0
    counts = {showing: page.paginator.count, other_kind: other_count}
    context = {
        "call": call,
        "filters": filters,
        "page": page,
        "showing": showing,
        "counts": counts,
        "organisation": org,
        "deadline": call.deadline_for(org),
        "quota": call.quota_for(org) if org.is_recommender else None,
    }
    return render(request, "reviews/queue.html", context)


#: What each kind of viewer may do to several items at once, and how it is reported.
BULK_ACTIONS = {
    "recommender": {"accept": "受理"},
    "bureau": {"select_municipal": "列入市级服务团", "decline": "不予入选"},
}


def _bulk(request):
    """One action on several items: each goes through the workflow on its own, and the page
    says which succeeded and why the others did not."""
    org = request.user.organisation
    allowed = BULK_ACTIONS["bureau" if org.is_bureau else "recommender"]
    action = request.POST.get("bulk_action", "")
    apps = parse_ids(request.POST.getlist("selected"))
    assessments = parse_ids(request.POST.getlist("selected_assessment"))
    if action not in allowed:
        messages.error(request, "请选择要执行的操作。")
        return redirect("reviews:queue")
    if not (apps or assessments):
        messages.error(request, f"请勾选要{allowed[action]}的项目。")
        return redirect("reviews:queue")
    comment = request.POST.get("bulk_comment", "").replace("\x00", "")[:2000]
    items = [
        *Application.objects.visible_to(request.user).filter(pk__in=apps),
        *Assessment.objects.visible_to(request.user).filter(pk__in=assessments),
    ]
    done, refused = 0, []
    for item in items:
        try:
            workflow.transition(
                item, action, user=request.user, comment=comment, client_ip=client_ip(request)
            )
            done += 1
        except workflow.WorkflowError as exc:
            refused.append(f"{item}：{exc}")
    if done:
        messages.success(request, f"已{allowed[action]} {done} 个项目。")
    for line in refused:
        messages.error(request, f"未能{allowed[action]}：{line}")
    return redirect("reviews:queue")


def _workflow_model(kind: str):
    if kind == workflow.ASSESSMENT:
        return Assessment
    return Application


class ActionForm(forms.Form):
    """What a workflow action carries: an opinion or reason, a deadline for 限期整改, and the
    item's version on the page the user acted from."""

    comment = forms.CharField(label="意见", required=False, max_length=2000)
    deadline = forms.DateField(
        label="整改期限",
        required=False,
        error_messages={"invalid": "请选择日期，例如 2026-06-30。"},
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        comment = self.fields["comment"]
        comment.label = COMMENT_LABELS.get(transition.action, "理由")
        comment.required = transition.comment_required
        comment.widget = forms.Textarea(attrs={"rows": 4, "class": "form-control"})
        comment.error_messages["required"] = f"“{transition.label}”须填写意见。"
        self.fields["deadline"].widget = forms.DateInput(
            attrs={"type": "date", "class": "form-control", "style": "max-width:12em"}
        )
        self.fields["deadline"].required = transition.action == "require_rectification"
        self.fields["deadline"].error_messages["required"] = "限期整改须填写整改期限。"


#: What the comment box is called for each action (the unit reads most of them).
COMMENT_LABELS = {
    "recommend": "推荐单位意见",
    "return": "退回意见（申报单位将看到）",
    "not_recommend": "不予推荐的理由（申报单位将看到）",
    "withdraw_recommendation": "撤回推荐的理由",
    "decline": "不予入选的理由",
    "revoke_decision": "撤销决定的理由",
    "mohrss_decline": "人社部未批准的说明",
    "require_rectification": "整改意见",
    "commend": "评估意见",
    "qualify": "评估意见",
    "return_rectification": "退回意见（依托单位将看到）",
}

#: What happens, said before it happens.
CONSEQUENCES = {
    "withdraw": "撤回后回到草稿，填写的内容全部保留，可修改后在截止时间前重新提交。",
    "accept": "受理后申报单位不能再撤回，由本单位审核。",
    "return": "退回后申报单位可修改并重新提交。",
    "recommend": "推荐后报送市人社局，占用本单位 1 个推荐名额。",
    "not_recommend": "不予推荐后本项目不再报送市人社局。",
    "withdraw_recommendation": "撤回后回到审核中，释放所占推荐名额；截止时间前可再次推荐。",
    "select_national": "拟推荐国家级。结果公布前，申报单位和推荐单位看不到本决定。",
    "select_municipal": "列入市级服务团。结果公布前，申报单位和推荐单位看不到本决定。",
    "decline": "不予入选。结果公布前，申报单位和推荐单位看不到本决定。",
    "revoke_decision": "撤销后回到“已推荐至市人社局”，可重新决定；如结果已公布，将通知申报单位重新评审。",
}


def _act_page(request, item, t, form, status=200):
    org = request.user.organisation
    context = {
        "item": item,
        "transition": t,
        "form": form,
        "consequence": CONSEQUENCES.get(t.action, ""),
        "post_url": request.path,
    }
    if t.action == "recommend" and item.counts_against_quota:
        context["quota_used"], context["quota"] = services.quota_usage(item.call, org)
    return render(request, "reviews/confirm.html", context, status=status)


def act(request, pk, action, kind=workflow.APPLICATION):
    """An action on an item: a confirmation page first (GET), the transition on POST."""
    t = workflow.TRANSITIONS.get(action)
    if t is None:
        raise Http404  # not an action at all: nothing to refuse, nothing to audit
    item = get_object_or_404(
        _workflow_model(kind).objects.visible_to(request.user).select_related("call", "unit"),
        pk=pk,
    )
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
        messages.error(request, f"未能{t.label}：" + "；".join(problems))
        return _act_page(request, item, t, form)
    params = {}
    if form.cleaned_data["deadline"]:
        params["deadline"] = form.cleaned_data["deadline"]
    try:
        item = workflow.transition(
            item,
            action,
            user=request.user,
            comment=form.cleaned_data["comment"],
            client_ip=client_ip(request),
            params=params,
            version=form.cleaned_data["version"],
        )
    except workflow.WorkflowError as exc:
        messages.error(request, f"未能{t.label}：{exc}")
        return _act_page(request, item, t, form)
    messages.success(request, f"已{t.label}。当前状态：{item.get_state_display()}。")
    return redirect(item)


@require_POST
def add_note(request, pk, kind=workflow.APPLICATION):
    item = get_object_or_404(_workflow_model(kind).objects.visible_to(request.user), pk=pk)
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


def ranking(request):
    """The recommender's order of what it recommended (优中选优), until its deadline."""
    org = _reviewer_org(request)
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
def funding(request, pk):
    app = get_object_or_404(Application.objects.visible_to(request.user), pk=pk)
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


class ExtensionForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="机构", queryset=Organisation.objects.filter(is_active=True).order_by("kind", "id")
    )
    deadline = forms.DateTimeField(
        label="延长至", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=500)

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        problem = date_problem(deadline, self.call.year, "延长至")
        if problem:
            raise forms.ValidationError(problem.split("：", 1)[1])
        return deadline


def extensions(request):
    org = _reviewer_org(request)
    if not org.is_bureau:
        raise Http404
    call = Call.objects.current()
    if call is None:
        raise Http404
    form = ExtensionForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_extension(
                call=call, user=request.user, client_ip=client_ip(request), **form.cleaned_data
            )
            messages.success(request, "已延长截止时间。")
            return redirect("reviews:extensions")
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "reviews/extensions.html",
        {
            "form": form,
            "call": call,
            "extensions": call.extensions.select_related("organisation", "granted_by"),
        },
    )


def score(request, pk):
    """The bureau reviewer's score sheet for one item, beside every reviewer's totals."""
    org = _reviewer_org(request)
    if not org.is_bureau:
        raise Http404
    app = get_object_or_404(
        Application.objects.visible_to(request.user).select_related("call", "unit", "recommender"),
        pk=pk,
    )
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


def summary(request):
    """The bureau's overview: how many items each recommender sent, by category and stage."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if not org.is_bureau or call is None:
        raise Http404
    rows = summary_by_recommender(call, recommenders())
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("total", "national", "municipal", "recommended")
    }
    return render(request, "reviews/summary.html", {"call": call, "rows": rows, "totals": totals})


def export_list(request):
    """附件3 一览表 as .xlsx: the recommender's own, the bureau's filtered list, or the
    national recommendation list (?list=national)."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if call is None:
        raise Http404
    filters = QueueFilter(
        request.GET or None, recommenders=recommenders() if org.is_bureau else None
    )
    national = request.GET.get("list") == "national"
    if national:
        if not org.is_bureau:
            raise Http404
        apps, assessments = services.national_candidates(call), None
        order = services.NATIONAL_ORDER
        filename = f"{call.year}年推荐国家级专家服务团名单.xlsx"
    else:
        wants = filters.wants
        apps = export_applications(request.user, call, filters) if APPLICATION in wants else None
        assessments = (
            export_assessments(request.user, call, filters) if ASSESSMENT in wants else None
        )
        order = exports.RANK_ORDER
        filename = f"{call.year}年专家服务基层项目一览表（{org}）.xlsx"
    handle, count = exports.export(call, apps, assessments, order)
    services.audit(
        call,
        action="export",
        label="导出一览表",
        user=request.user,
        comment=f"{filename}，{count} 行；条件：{request.GET.urlencode() or '无'}",
        client_ip=client_ip(request),
    )
    return FileResponse(handle, as_attachment=True, filename=filename)


def item_pdf(request, pk, kind=workflow.APPLICATION):
    """The stamp-ready PDF of one 附件1 or 附件2, for whoever may see the item."""
    model = _workflow_model(kind)
    related = ("call", "unit", "recommender") + (("base",) if kind == workflow.ASSESSMENT else ())
    item = get_object_or_404(model.objects.visible_to(request.user).select_related(*related), pk=pk)
    content = printing.form_pdf(item)
    services.audit(
        item,
        action="download_pdf",
        label="下载打印表",
        user=request.user,
        comment=printing.filename_for(item),
        client_ip=client_ip(request),
        state=item.state,
    )
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response.headers["Content-Disposition"] = content_disposition_header(
        disposition == "attachment", printing.filename_for(item)
    )
    return response


#: A ZIP is rendered while it streams (about 0.15 s a form); beyond this many, filter first.
ZIP_LIMIT = 300


def zip_pdfs(request):
    """The PDFs of the user's list (as filtered), or of the items ticked, in one ZIP."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if call is None:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    filters = QueueFilter(data or None, recommenders=recommenders() if org.is_bureau else None)
    if request.method == "POST":
        ids = {name: parse_ids(data.getlist(name)) for name in ("selected", "selected_assessment")}
        apps = Application.objects.visible_to(request.user).filter(pk__in=ids["selected"])
        assessments = Assessment.objects.visible_to(request.user).filter(
            pk__in=ids["selected_assessment"]
        )
    else:
        apps = export_applications(request.user, call, filters)
        assessments = export_assessments(request.user, call, filters)
        if APPLICATION not in filters.wants:
            apps = apps.none()
        if ASSESSMENT not in filters.wants:
            assessments = assessments.none()
    apps = apps.select_related("call", "unit", "recommender").order_by(*exports.RANK_ORDER)
    apps = apps.prefetch_related("experts", "places", "budget_items", "funding_sources")
    assessments = assessments.select_related("call", "unit", "recommender", "base").order_by(
        "recommender_id", "-submitted_at", "id"
    )
    total = apps.count() + assessments.count()
    if total == 0:
        messages.error(request, "没有可打包的项目：请先勾选项目，或调整筛选条件。")
        return redirect("reviews:queue")
    if total > ZIP_LIMIT:
        messages.error(
            request,
            f"一次最多打包 {ZIP_LIMIT} 份（当前 {total} 份），请按推荐单位或状态筛选后分批下载。",
        )
        return redirect("reviews:queue")
    services.audit(
        call,
        action="download_zip",
        label="批量下载打印表",
        user=request.user,
        comment=f"{total} 份",
        client_ip=client_ip(request),
    )
    filename = f"{call.year}年专家服务基层项目申报表（{org}）.zip"
    response = StreamingHttpResponse(
        printing.zip_stream([*apps, *assessments]), content_type="application/zip"
    )
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_POST
def upload_scan(request, pk, kind=workflow.APPLICATION):
    item = get_object_or_404(_workflow_model(kind).objects.visible_to(request.user), pk=pk)
    form = scans.ScanForm(request.POST, request.FILES)
    if getattr(request, "upload_too_large", False):
        limit = scans.human_size(settings.SCAN_MAX_BYTES)
        messages.error(request, f"未上传：盖章扫描件：文件过大，扫描件不超过 {limit}。")
        return redirect(item)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else "上传"
            messages.error(request, f"未上传：{label}：{'；'.join(errors)}")
        return redirect(item)
    try:
        scan = scans.store(
            item,
            user=request.user,
            upload=form.cleaned_data["file"],
            typed=form.cleaned_data["fingerprint"],
            client_ip=client_ip(request),
        )
    except workflow.WorkflowError as exc:
        messages.error(request, f"未上传：{exc}")
        return redirect(item)
    if scan.matches is True:
        messages.success(
            request, f"已上传。扫描件的校验码 {scan.found_fingerprint} 与提交版本一致。"
        )
    elif scan.matches is False:
        messages.warning(
            request,
            f"已上传，但扫描件的校验码 {scan.found_fingerprint} 与提交版本的 "
            f"{scan.expected_fingerprint} 不一致：请确认打印的是最后提交的版本。",
        )
    else:
        messages.info(request, "已上传。未能从扫描件识别校验码，可在上传时输入页脚的校验码核对。")
    return redirect(item)


def download_scan(request, pk):
    """A stored scan, for those who may see its item; everyone else gets a 404."""
    scan = get_object_or_404(StampedScan.objects.select_related("content_type"), pk=pk)
    model = scan.content_type.model_class()
    item = get_object_or_404(model.objects.visible_to(request.user), pk=scan.object_id)
    services.audit(
        item,
        action="download_scan",
        label="下载盖章扫描件",
        user=request.user,
        comment=scan.original_name,
        client_ip=client_ip(request),
        state=item.state,
    )
    return FileResponse(
        scan.file.open("rb"),
        content_type=scan.media_type,
        as_attachment=bool(request.GET.get("download")),
        filename=f"{item.reference}-{scan.get_kind_display()}{scan.extension}",
    )


class QuotaForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="推荐单位",
        queryset=Organisation.objects.filter(
            kind__in=Organisation.RECOMMENDER_KINDS, is_active=True
        ).order_by("kind", "id"),
    )
    quota = forms.IntegerField(
        label="可推荐服务团数",
        min_value=1,
        max_value=99,
        error_messages={"invalid": "请输入整数，例如 2。", "min_value": "推荐名额至少为 1 个。"},
    )
    reason = forms.CharField(label="理由", max_length=200)


class DirectLimitForm(forms.Form):
    limit = forms.IntegerField(
        label="直报上限（个，留空为不限）", required=False, min_value=0, max_value=10000
    )
    reason = forms.CharField(label="理由", max_length=200)


def quotas(request):
    """The bureau raises a recommender's quota of recommended service teams (优中选优)."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if not org.is_bureau or call is None:
        raise Http404
    direct = request.method == "POST" and request.POST.get("form") == "direct"
    direct_form = DirectLimitForm(
        request.POST if direct else None, initial={"limit": call.direct_limit}
    )
    if direct:
        if direct_form.is_valid():
            try:
                services.set_direct_limit(
                    call=call,
                    user=request.user,
                    client_ip=client_ip(request),
                    **direct_form.cleaned_data,
                )
                messages.success(request, "特贴专家领衔项目直报上限已保存。")
                return redirect("reviews:quotas")
            except workflow.WorkflowError as exc:
                direct_form.add_error(None, str(exc))
        form = QuotaForm()
    else:
        form = QuotaForm(request.POST or None)
    if request.method == "POST" and not direct and form.is_valid():
        try:
            services.set_quota(
                call=call, user=request.user, client_ip=client_ip(request), **form.cleaned_data
            )
            messages.success(request, "推荐名额已调整。")
            return redirect("reviews:quotas")
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "reviews/quotas.html",
        {
            "form": form,
            "direct_form": direct_form,
            "direct_used": services.quota_usage(call, org)[0],
            "call": call,
            "rows": services.quota_table(call),
        },
    )


class AuditFilter(forms.Form):
    ACTIONS = [
        ("", "全部操作"),
        ("login", "登录"),
        ("login_failed", "登录失败"),
        ("locked_out", "登录锁定"),
        ("unlock", "解除锁定"),
        ("logout", "退出"),
        ("export", "导出一览表"),
        ("download_zip", "批量下载打印表"),
        ("download_pdf", "下载打印表"),
        ("upload_scan", "上传盖章扫描件"),
        ("download_scan", "下载盖章扫描件"),
        *((a, t.label) for a, t in workflow.TRANSITIONS.items()),
    ]
    action = forms.ChoiceField(label="操作", choices=ACTIONS, required=False)
    outcome = forms.ChoiceField(
        label="结果", choices=[("", "全部结果"), *AuditRecord.Outcome.choices], required=False
    )
    q = forms.CharField(label="用户或机构", max_length=50, required=False)
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )
        self.fields["since"].error_messages["invalid"] = "请输入日期，例如 2026-01-19。"
        self.fields["until"].error_messages["invalid"] = "请输入日期，例如 2026-02-06。"

    def apply(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["outcome"]:
            qs = qs.filter(outcome=data["outcome"])
        if data["q"]:
            qs = qs.filter(
                Q(username__icontains=data["q"])
                | Q(actor__first_name__icontains=data["q"])
                | Q(organisation__name__icontains=data["q"])
                | Q(organisation__short_name__icontains=data["q"])
            )
        if data["since"]:
            qs = qs.filter(created_at__date__gte=data["since"])
        if data["until"]:
            qs = qs.filter(created_at__date__lte=data["until"])
        return qs


def audit_log(request):
    """The bureau's view of the audit trail, newest first, filterable; read only."""
    org = _reviewer_org(request)
    if not org.is_bureau:
        raise Http404
    filters = AuditFilter(request.GET or None)
    records = filters.apply(
        AuditRecord.objects.select_related("actor", "organisation", "content_type").order_by(
            "-created_at", "-id"
        )
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    _name_items(page.object_list)
    return render(request, "reviews/audit.html", {"filters": filters, "page": page})


def _name_items(records) -> None:
    """Each record's item by its reference number (ZJ2026-00002), two queries a page."""
    wanted = {APPLICATION: set(), ASSESSMENT: set()}
    for record in records:
        kind = {"application": APPLICATION, "assessment": ASSESSMENT}.get(
            record.content_type.model if record.content_type else ""
        )
        if kind:
            wanted[kind].add(record.object_id)
    found = {}
    for kind, model in ((APPLICATION, Application), (ASSESSMENT, Assessment)):
        if wanted[kind]:
            for item in model.objects.filter(pk__in=wanted[kind]).select_related("call"):
                found[(kind, item.pk)] = item
    for record in records:
        model = record.content_type.model if record.content_type else ""
        record.item_named = found.get((model, record.object_id))


def lockouts(request):
    """Every locked login name and address, however the failures were spread; the bureau
    unlocks each after checking who is asking."""
    org = _reviewer_org(request)
    if not org.is_bureau:
        raise Http404
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        value = request.POST.get("value", "")
        if kind not in lockout.KINDS or not value or "\x00" in value:
            messages.error(request, "未解除：请在列表中选择要解除的登录名或来源地址。")
            return redirect("reviews:lockouts")
        if lockout.unlock(kind, value):
            AuditRecord.objects.create(
                action="unlock",
                action_label="解除锁定",
                actor=request.user,
                username=request.user.get_username(),
                organisation=org,
                comment=f"解除{lockout.KINDS[kind]} {value[:200]} 的登录锁定",
                client_ip=client_ip(request),
            )
            messages.success(request, f"已解除{lockout.KINDS[kind]} {value} 的登录锁定。")
        else:
            messages.info(request, f"{lockout.KINDS[kind]} {value} 当前没有登录失败记录。")
        return redirect("reviews:lockouts")
    return render(
        request,
        "reviews/lockouts.html",
        {"locks": lockout.locks(), "limit": settings.AXES_FAILURE_LIMIT},
    )


def publish(request):
    """公布结果: the bureau previews who will be told what, then confirms."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if not org.is_bureau or call is None:
        raise Http404
    stage = request.POST.get("stage") or request.GET.get("stage") or Publication.Stage.SELECTION
    if stage not in Publication.Stage.values:
        stage = Publication.Stage.SELECTION
    if request.method == "POST":
        try:
            done = publication.publish(
                call=call, stage=stage, user=request.user, client_ip=client_ip(request)
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


def failing_mail(request):
    """Notices that keep failing to send: the bureau tells those people another way."""
    org = _reviewer_org(request)
    if not org.is_bureau:
        raise Http404
    page = Paginator(notifications.failing(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/failing_mail.html", {"page": page})


def national_order(request):
    """The bureau puts its national candidates in the order it recommends them to MOHRSS."""
    org = _reviewer_org(request)
    call = Call.objects.current()
    if not org.is_bureau or call is None:
        raise Http404
    return _ordering_page(
        request,
        save=partial(services.set_national_order, call=call),
        url_name="reviews:national_order",
        saved="推荐国家级的排序已保存，导出的推荐名单按此顺序。",
        template="reviews/national_order.html",
        context={"call": call, "items": services.national_candidates(call)},
    )
