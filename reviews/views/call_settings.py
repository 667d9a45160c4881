"""The call's settings the bureau keeps: deadline extensions, quotas and the review deadline."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from shanghai_experts.http import client_ip
from shanghai_experts.models import Organisation
from shanghai_experts.permissions import permission_required
from shanghai_experts.validators import date_problem

from .. import deadlines
from ..engine import services, workflow
from .common import current_call


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


def _save(request, form, save, *, call, done: str, url: str):
    """Hand a valid form to the service `save`; a refusal goes on the form in its own words and
    the page is shown again with what was typed. Returns the redirect after a save, or None."""
    if not form.is_bound or not form.is_valid():
        return None
    try:
        save(call=call, user=request.user, client_ip=client_ip(request), **form.cleaned_data)
    except workflow.WorkflowError as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(request, done)
    return redirect(url)


@permission_required("reviews.set_call")
def extensions(request):
    call = current_call()
    form = ExtensionForm(request.POST or None, call=call)
    saved = _save(
        request,
        form,
        services.grant_extension,
        call=call,
        done="已延长截止时间。",
        url="reviews:extensions",
    )
    return saved or render(
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


@permission_required("reviews.set_call")
def quotas(request):
    """The bureau raises a recommender's quota of recommended service teams (优中选优)."""
    org = request.user.organisation
    call = current_call()
    posted = request.POST if request.method == "POST" else None
    direct = posted is not None and posted.get("form") == "direct"
    direct_form = DirectLimitForm(posted if direct else None, initial={"limit": call.direct_limit})
    form = QuotaForm(None if direct else posted)
    saved = _save(
        request,
        direct_form,
        services.set_direct_limit,
        call=call,
        done="特贴专家领衔项目直报上限已保存。",
        url="reviews:quotas",
    ) or _save(
        request,
        form,
        services.set_quota,
        call=call,
        done="推荐名额已调整。",
        url="reviews:quotas",
    )
    if saved:
        return saved
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


class ReviewDeadlineForm(forms.Form):
    deadline = forms.DateTimeField(
        label="评审截止时间",
        required=False,
        help_text="北京时间；留空为不设截止时间。",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label="理由", max_length=200)

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline is None:
            return None
        problem = date_problem(deadline, self.call.year, "评审截止时间")
        if problem:
            raise forms.ValidationError(problem.split("：", 1)[1])
        return deadline


@permission_required("reviews.set_call")
def review_deadline(request):
    """The bureau sets the call's 评审截止时间 (moving it later is the extension)."""
    call = current_call()
    form = ReviewDeadlineForm(
        request.POST or None, call=call, initial={"deadline": call.review_deadline}
    )
    saved = _save(
        request,
        form,
        deadlines.set_review_deadline,
        call=call,
        done="评审截止时间已保存。",
        url="reviews:review_deadline",
    )
    return saved or render(
        request,
        "reviews/review_deadline.html",
        {
            "form": form,
            "call": call,
            "hours": deadlines.reminder_hours(),
            "open_count": deadlines.open_assignments(call).count(),
        },
    )
