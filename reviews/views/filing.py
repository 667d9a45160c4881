"""推荐报送 (the recommender's contact, its 推荐函) and the bureau's 书面材料 receipt."""

import datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shanghai_experts.forms import HalfWidthCharField
from shanghai_experts.http import client_ip
from shanghai_experts.items import APPLICATION, WorkflowError
from shanghai_experts.models import Organisation
from shanghai_experts.permissions import permission_required
from shanghai_experts.text import parse_id
from shanghai_experts.validators import validate_mobile, validate_office_phone

from ..documents import filing
from ..queries import recommenders
from .common import current_call, item_getter


class ContactForm(forms.Form):
    contact_name = forms.CharField(label="联系人姓名", max_length=40)
    office_phone = HalfWidthCharField(
        label="电话", max_length=32, validators=[validate_office_phone]
    )
    mobile = HalfWidthCharField(label="手机", max_length=20, validators=[validate_mobile])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
        self.fields["office_phone"].widget.attrs["placeholder"] = "021-63588888"
        self.fields["mobile"].widget.attrs["placeholder"] = "13812345678"


class ReceivedForm(forms.Form):
    received_on = forms.DateField(
        label="收到日期", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )

    def clean_received_on(self):
        value = self.cleaned_data["received_on"] or timezone.localdate()
        today = timezone.localdate()
        if not today - datetime.timedelta(days=366) <= value <= today:
            raise forms.ValidationError("收到日期应为今天或一年内的日期。")
        return value


@permission_required("reviews.file_recommendation")
def filing_page(request):
    """推荐报送: the contact the notice asks for, the 推荐函, and whether the paper arrived."""
    org = request.user.organisation
    call = current_call()
    record = filing.filing_for(call, org)
    initial = {
        "contact_name": record.contact_name,
        "office_phone": record.office_phone,
        "mobile": record.mobile,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        filing.save_contact(
            call, org, user=request.user, data=form.cleaned_data, client_ip=client_ip(request)
        )
        messages.success(request, "联系人已保存，将印在推荐函上，并显示给市人社局。")
        return redirect("reviews:filing")
    apps = list(filing.recommended_applications(call, org))
    assessments = list(filing.recommended_assessments(call, org))
    for item in [*apps, *assessments]:
        item.call = call
    return render(
        request,
        "reviews/filing.html",
        {
            "call": call,
            "organisation": org,
            "filing": record,
            "form": form,
            "applications": apps,
            "assessments": assessments,
            "received": sum(1 for i in [*apps, *assessments] if i.paper_received_on),
        },
    )


@permission_required("reviews.print_letter")
def letter(request):
    """The 推荐函 as a stamp-ready PDF: a recommender's own; the bureau names the recommender."""
    org = request.user.organisation
    call = current_call()
    if org.is_bureau:
        pk = parse_id(request.GET.get("recommender"))
        org = get_object_or_404(Organisation, pk=pk, kind__in=Organisation.RECOMMENDER_KINDS)
    response = HttpResponse(filing.letter_pdf(call, org), content_type="application/pdf")
    response.headers["Content-Disposition"] = content_disposition_header(
        bool(request.GET.get("download")), filing.letter_filename(call, org)
    )
    return response


@permission_required("reviews.record_paper")
def paper_page(request):
    """书面材料: each recommender's contact, its recommended items, and what has arrived."""
    call = current_call()
    organisations = recommenders()
    if request.method == "POST":
        form = ReceivedForm(request.POST)
        pk = parse_id(request.POST.get("recommender"))
        recommender = Organisation.objects.filter(
            pk=pk, kind__in=Organisation.RECOMMENDER_KINDS
        ).first()
        if recommender is None:
            messages.error(request, "请选择推荐单位。")
        elif not form.is_valid():
            messages.error(request, f"收到日期：{form.errors['received_on'][0]}")
        elif request.POST.get("confirmed") != "1":
            pending = filing.pending_paper(call, recommender)
            return render(
                request,
                "reviews/paper_confirm.html",
                {
                    "recommender": recommender,
                    "on": form.cleaned_data["received_on"],
                    "items": pending,
                    "seen": filing.paper_token(pending),
                    "post_url": request.path,
                    "back_url": reverse("reviews:paper"),
                },
            )
        else:
            try:
                marked = filing.record_paper(
                    call,
                    recommender,
                    user=request.user,
                    on=form.cleaned_data["received_on"],
                    client_ip=client_ip(request),
                    seen=request.POST.get("seen", ""),
                )
            except WorkflowError as exc:
                messages.error(request, f"未登记：{exc}")
            else:
                messages.success(
                    request,
                    f"已登记：{recommender} 的书面材料于 "
                    f"{form.cleaned_data['received_on']:%Y-%m-%d} 收到（{marked} 个项目）。",
                )
        return redirect("reviews:paper")
    return render(
        request,
        "reviews/paper.html",
        {
            "call": call,
            "rows": filing.overview(call, organisations),
            "today": timezone.localdate(),
        },
    )


@require_POST
@permission_required("reviews.record_item_paper", fn=item_getter("unit"))
def item_paper(request, item, pk, kind=APPLICATION.code):
    """The bureau marks one item's paper as received (or withdraws the mark)."""
    clear = bool(request.POST.get("clear"))
    form = ReceivedForm(request.POST)
    if not clear and not form.is_valid():
        messages.error(request, f"收到日期：{form.errors['received_on'][0]}")
        return redirect(item)
    on = None if clear else form.cleaned_data["received_on"]
    if request.POST.get("confirmed") != "1":
        current = item.paper_received_on
        return render(
            request,
            "reviews/paper_confirm.html",
            {
                "item": item,
                "on": on,
                "clear": clear,
                "seen": f"{current:%Y-%m-%d}" if current else "",
                "post_url": request.path,
                "back_url": item.get_absolute_url(),
            },
        )
    try:
        filing.record_item_paper(
            item,
            user=request.user,
            on=on,
            client_ip=client_ip(request),
            seen=request.POST.get("seen", ""),
        )
    except WorkflowError as exc:
        messages.error(request, f"未登记：{exc}")
        return redirect(item)
    if clear:
        messages.success(request, "已撤销书面材料登记。")
    else:
        messages.success(request, f"已登记书面材料于 {on:%Y-%m-%d} 收到。")
    return redirect(item)
