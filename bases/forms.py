"""附件2 in the browser, and the bureau's registry form.

As with 附件1, the form checks formats only so that a half-filled draft saves;
bases.rules.submission_problems decides whether it can be submitted.
"""

from django import forms

from shanghai_experts.forms import (
    CONTACT_FIELD_CLASSES,
    CONTACT_WIDGETS,
    ItemBundle,
    VersionChecked,
    bound_long_texts,
    chinese_blanks,
)
from shanghai_experts.states import State

from .choices import HostType
from .models import Assessment, Base
from .rules import FORM_SECTIONS, REQUIRED_FIELDS, allowed_recommenders

#: The boxes of 一、基本信息 that the registry keeps too (ContactFields).
BASIC_WIDGETS = {
    **CONTACT_WIDGETS,
    "own_experts": forms.NumberInput(attrs={"min": "0"}),
    "external_experts": forms.NumberInput(attrs={"min": "0"}),
}
CONTACT_LABELS = {
    "own_experts": "本单位专家（人）",
    "external_experts": "外单位专家（人）",
    "host_type_other": "其他（请注明）",
}
NUMBER_FIELDS = ("own_experts", "external_experts", "activity_count")
NUMBER_ERRORS = {
    "invalid": "请输入整数，例如 5。",
    "min_value": "不能为负数。",
    "max_value": "数值过大，请核对。",
}


def host_types_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="依托单位类型（可多选）",
        choices=HostType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _number_messages(form):
    for name in NUMBER_FIELDS:
        if name in form.fields:
            form.fields[name].error_messages.update(NUMBER_ERRORS)
            form.fields[name].max_value = 100000


class AssessmentForm(forms.ModelForm):
    host_types = host_types_field()
    version = forms.IntegerField(widget=forms.HiddenInput)
    #: Blank is allowed in a draft; these are marked * (ui.bs_field) as submission needs them.
    required_on_submit = frozenset((*REQUIRED_FIELDS, "recommender"))

    class Meta:
        model = Assessment
        field_classes = CONTACT_FIELD_CLASSES
        fields = [
            *Assessment.CONTACT_FIELDS,
            "system_building",
            "flexible_talent",
            "activities",
            "funding_use",
            "three_year_plan",
            "activity_count",
            "list_summary",
            "list_goal",
            "applicant_opinion",
            "recommender",
        ]
        widgets = {
            **BASIC_WIDGETS,
            "system_building": forms.Textarea(attrs={"rows": 5}),
            "flexible_talent": forms.Textarea(attrs={"rows": 5}),
            "activities": forms.Textarea(attrs={"rows": 10}),
            "funding_use": forms.Textarea(attrs={"rows": 5}),
            "three_year_plan": forms.Textarea(attrs={"rows": 10}),
            "activity_count": forms.NumberInput(attrs={"min": "0"}),
            "list_summary": forms.Textarea(attrs={"rows": 4}),
            "list_goal": forms.Textarea(attrs={"rows": 3}),
            "applicant_opinion": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {**CONTACT_LABELS, "recommender": "推荐单位（提交至）"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assessment = self.instance
        self.initial.setdefault("host_types", assessment.host_types or [])
        self.fields["recommender"].queryset = allowed_recommenders(assessment.unit)
        self.fields["recommender"].empty_label = "— 请选择 —"
        self.fields["recommender"].help_text = "所在区人社局或行业主管部门（委、办、局）。"
        self.initial["version"] = assessment.version
        limit = assessment.call.base_narrative_limit
        for name in ("activities", "three_year_plan"):
            self.fields[name].widget.attrs["data-limit"] = limit
        self.fields["list_summary"].widget.attrs["data-limit"] = assessment.call.summary_limit
        # The 一览表's two texts start as the unit's own items 3 and 5, to be rewritten in
        # short; they are never cut.
        if not self.is_bound:
            if not assessment.list_summary and assessment.activities:
                self.initial["list_summary"] = assessment.activities
            if not assessment.list_goal and assessment.three_year_plan:
                self.initial["list_goal"] = assessment.three_year_plan
        _number_messages(self)
        bound_long_texts(self)
        chinese_blanks(self)


class AssessmentBundle(ItemBundle):
    """附件2 has no lists of rows: the bundle is its one form."""

    form_class = AssessmentForm
    sections = FORM_SECTIONS


class RectificationForm(VersionChecked, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    #: The report is written only while 限期整改 is open.
    editable_states = frozenset({State.RECTIFYING})

    class Meta:
        model = Assessment
        fields = ["rectification_report"]
        widgets = {"rectification_report": forms.Textarea(attrs={"rows": 8})}
        labels = {"rectification_report": "整改报告（整改措施、完成情况及成效）"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["version"] = self.instance.version
        self.fields["rectification_report"].widget.attrs["data-limit"] = 1000
        bound_long_texts(self)


class BaseForm(forms.ModelForm):
    """The bureau's registry entry for a base."""

    host_types = host_types_field()

    class Meta:
        model = Base
        field_classes = CONTACT_FIELD_CLASSES
        fields = ["name", "host_unit", "level", "year_selected", *Assessment.CONTACT_FIELDS]
        widgets = {**BASIC_WIDGETS, "level": forms.RadioSelect}
        labels = CONTACT_LABELS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("host_types", self.instance.host_types or [])
        self.fields["level"].choices = [c for c in self.fields["level"].choices if c[0]]
        self.fields["host_unit"].queryset = self.fields["host_unit"].queryset.order_by("name")
        self.fields["host_unit"].empty_label = "— 请选择依托单位 —"
        self.fields["year_selected"].error_messages["invalid"] = "请输入四位年份，例如 2022。"
        self.fields["year_selected"].min_value = 2000
        _number_messages(self)
        self.fields["host_types"].required = True
        self.fields["host_types"].error_messages["required"] = "请至少勾选一项。"

    def clean_year_selected(self):
        year = self.cleaned_data["year_selected"]
        if year is not None and not 2000 <= year <= 2100:
            raise forms.ValidationError("请输入四位年份，例如 2022。")
        return year
