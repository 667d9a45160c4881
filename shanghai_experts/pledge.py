"""The 信用承诺 a unit ticks when it submits a form (附件1, 附件2, the rectification report), as
the 一网通办 services ask; the confirmation page's form that carries it with the version seen."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect

from .http import client_ip
from .items import WorkflowError

#: The wording the unit accepts; the workflow keeps it with the submission's audit record.
PLEDGE = (
    "本单位承诺所填信息真实、准确、完整，所附材料与原件一致，"
    "如有虚假，愿承担相应责任，并接受取消申报资格等处理。"
)

#: How the audit record (and the history) states that it was accepted.
PLEDGE_RECORD = f"已勾选信用承诺：“{PLEDGE}”"


class SubmitConfirmForm(forms.Form):
    """The confirmation of a submission: the 信用承诺 ticked, and the version previewed."""

    pledge = forms.BooleanField(
        label="信用承诺",
        required=True,
        error_messages={"required": "信用承诺：请阅读并勾选信用承诺后再提交。"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].error_messages = {
            "required": "页面已过期，请返回申报表后重新提交。",
            "invalid": "页面已过期，请返回申报表后重新提交。",
            "min_value": "页面已过期，请返回申报表后重新提交。",
        }

    def problems(self) -> list[str]:
        return [e for errors in self.errors.values() for e in errors]


def stale_preview(what: str) -> str:
    return (
        f"未提交：您打开确认页后，{what}又保存过（可能在另一个标签页或浏览器）。"
        "请核对下方的最新内容，再确认提交。"
    )


def confirm_submission(request, item, *, transition, action, here, done, what="本表", **extra):
    """A submission's confirmation page, once for 附件1, 附件2 and the rectification report:
    on a POST with the 信用承诺 ticked and the version previewed, `transition(item, action)`
    with the pledge, then `done(item)` as the message. Returns (a response, or None to show
    the page again, with the form and its errors). A preview of a version saved since (another
    tab) is refused, naming `what` was saved."""
    form = SubmitConfirmForm(request.POST or None, initial={"version": item.version})
    if request.method != "POST":
        return None, form
    if not form.is_valid():
        messages.error(request, "未提交：" + "；".join(form.problems()))
        return None, form
    version = form.cleaned_data["version"]
    if version != item.version:
        messages.error(request, stale_preview(what))
        return redirect(here), form
    try:
        item = transition(
            item,
            action,
            user=request.user,
            client_ip=client_ip(request),
            version=version,
            params={"pledge": PLEDGE},
            **extra,
        )
    except WorkflowError as exc:
        messages.error(request, f"未提交：{exc}")
        return redirect(here), form
    messages.success(request, done(item))
    return redirect(item), form
