"""专家名单导入: 附件1's roster from the .xlsx template or pasted rows, previewed, then confirmed
(applications.roster holds the rules; these views only route)."""

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shanghai_experts.forms import StaleVersion
from shanghai_experts.permissions import permission_required

from . import roster
from .models import Application


class RosterForm(forms.Form):
    file = forms.FileField(label="专家名单（.xlsx）", required=False)
    pasted = forms.CharField(
        label="或粘贴从 Excel 复制的各列",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control font-monospace"}),
        max_length=roster.PASTE_MAX_CHARS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xlsx"})
        self.fields["pasted"].error_messages["max_length"] = (
            f"粘贴的内容过长（最多 {roster.PASTE_MAX_CHARS} 字），请只复制专家名单的各列。"
        )


def _application(request, pk) -> Application:
    return get_object_or_404(Application, pk=pk)


@permission_required("applications.replace_roster", fn=_application)
def roster_template(request, app, pk):
    response = HttpResponse(
        roster.template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        "attachment; filename=\"roster.xlsx\"; filename*=UTF-8''" + quote("专家名单模板.xlsx")
    )
    return response


@permission_required("applications.replace_roster", fn=_application)
def roster_import(request, app, pk):
    """Upload or paste; the answer is the preview (nothing saved yet)."""
    form = RosterForm(request.POST or None, request.FILES or None)
    context = {"app": app, "form": form, "max_experts": roster.MAX_EXPERTS}
    if request.method == "POST" and form.is_valid():
        upload, pasted = form.cleaned_data["file"], form.cleaned_data["pasted"]
        try:
            if upload:
                rows = roster.read_upload(upload)
            elif pasted.strip():
                rows = roster.read_pasted(pasted)
            else:
                raise roster.RosterRefused("请选择 .xlsx 文件，或粘贴专家名单。")
        except roster.RosterRefused as error:
            form.add_error("file" if upload else "pasted", str(error))
        else:
            checked = roster.check(rows)
            problems = [row for row in checked if row["problems"]]
            context.update(
                checked=checked,
                problems=problems,
                current=app.experts.count(),
                token="" if problems else roster.sign(app, checked),
            )
    return render(request, "applications/roster_import.html", context)


@require_POST
@permission_required("applications.replace_roster", fn=_application)
def roster_confirm(request, app, pk):
    edit = reverse("applications:edit", args=[app.pk]) + "#sec-experts"
    try:
        version, experts = roster.unsign(app, request.POST.get("token", ""))
        app = roster.replace_roster(app, version, experts)
    except roster.RosterRefused as error:
        messages.error(request, str(error))
        return redirect("applications:roster_import", pk=app.pk)
    except StaleVersion:
        messages.error(
            request,
            "未导入：预览之后，本申报已被保存过或状态已变化。请重新上传或粘贴专家名单。",
        )
        return redirect("applications:roster_import", pk=app.pk)
    messages.success(request, f"已导入专家名单：共 {len(experts)} 人，参与服务专家人数已更新。")
    return redirect(edit)
