"""The call's settings the bureau keeps: deadline extensions and quotas."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from shanghai_experts.http import client_ip
from shanghai_experts.models import Call, Organisation
from shanghai_experts.validators import date_problem

from .. import (
    services,
    workflow,
)
from .common import reviewer_org


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
    org = reviewer_org(request)
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
    org = reviewer_org(request)
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
