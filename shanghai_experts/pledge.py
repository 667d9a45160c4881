"""The 信用承诺 a unit ticks when it submits a form (附件1, 附件2, the rectification report), as
the 一网通办 services ask; the confirmation page's form that carries it with the version seen."""

from django import forms

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
