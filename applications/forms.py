"""The 附件1 form in the browser: the application and its four lists of rows.

These forms check formats only (a date is a date, an amount has at most two decimals), so a
draft can be saved half filled. Completeness is checked on submission by
applications.rules.submission_problems, whose findings are attached to the same fields.
"""

from decimal import Decimal
from functools import partial

from django import forms
from django.core.validators import MinValueValidator
from django.urls import reverse

from bases.models import Base
from shanghai_experts.divisions import divisions
from shanghai_experts.forms import (
    CONTACT_FIELD_CLASSES,
    CONTACT_WIDGETS,
    HalfWidthCharField,
    HalfWidthDecimalField,
    ItemBundle,
    RecommenderSelect,
    bound_long_texts,
    chinese_blanks,
    recommender_label,
)
from shanghai_experts.formsets import bounded_inlineformset_factory
from shanghai_experts.validators import date_problem

from .choices import ServiceForm, Talent
from .models import Application, BudgetItem, Expert, FundingSource, ServicePlace
from .rules import FORM_SECTIONS, REQUIRED_FIELDS, ROW_SECTIONS, allowed_recommenders

YES_NO = [("yes", "是"), ("no", "否")]

#: The registry's 国家级 / 市级 as 附件1's 基地级别 (部级、省级、市级) prints them.
BASE_LEVEL_ON_FORM = {"national": "ministry", "municipal": "municipal"}


def _money_field(field: forms.DecimalField) -> None:
    field.error_messages.update(
        {
            "invalid": "请输入金额（万元），例如 12.5。",
            "max_decimal_places": "金额以万元为单位，最多保留 2 位小数。",
            "max_digits": "金额过大，请以万元为单位填写。",
            "max_whole_digits": "金额过大，请以万元为单位填写。",
        }
    )
    field.validators.append(MinValueValidator(Decimal("0"), message="金额不能为负数。"))
    field.widget.attrs.update({"step": "0.01", "min": "0", "inputmode": "decimal"})


def _say_which_counties_were_found(form, app) -> None:
    """Under each 对口帮扶 box: the counties its names were found as in the national divisions
    (by code, for the statistics), and the names not found, to check."""
    places = divisions()
    for box in Application.SUPPORT_BOXES:
        found, unmatched = places.match_counties(getattr(app, f"{box}_counties"))
        notes = []
        if found:
            notes.append("已识别：" + "、".join(places.full_name(code) for code in found))
        if unmatched:
            notes.append(
                "未在全国行政区划中找到：" + "、".join(unmatched) + "（请核对，可写作“省名+县名”）"
            )
        if notes:
            form.fields[f"{box}_counties"].help_text = "；".join(notes) + "。"


class ApplicationForm(forms.ModelForm):
    relies_on_base_choice = forms.ChoiceField(
        label="是否依托专家服务基地", choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    service_forms = forms.MultipleChoiceField(
        label="拟采取的服务形式（可多选）",
        choices=ServiceForm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    #: Blank is allowed in a draft; these are marked * (ui.bs_field) as submission needs them.
    required_on_submit = frozenset((*REQUIRED_FIELDS, "relies_on_base_choice", "recommender"))

    class Meta:
        model = Application
        field_classes = {
            **CONTACT_FIELD_CLASSES,
            "budget_total": HalfWidthDecimalField,
            "requested_amount": HalfWidthDecimalField,
        }
        fields = [
            "name",
            "category",
            "base",
            "base_level",
            "base_name",
            "expert_count",
            "service_count",
            "service_days",
            "start_date",
            "end_date",
            "service_field",
            "department",
            "contact_name",
            "office_phone",
            "mobile",
            "email",
            "cross_key",
            "cross_key_counties",
            "cross_other",
            "cross_other_counties",
            "local_key",
            "local_key_counties",
            "local_other",
            "local_other_counties",
            "service_forms",
            "service_form_other",
            "service_content",
            "budget_total",
            "requested_amount",
            "summary",
            "service_goal",
            "professional_field",
            "applicant_opinion",
            "recommender",
        ]
        widgets = {
            "category": forms.RadioSelect,
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "service_content": forms.Textarea(attrs={"rows": 10}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "service_goal": forms.Textarea(attrs={"rows": 3}),
            "applicant_opinion": forms.Textarea(attrs={"rows": 3}),
            **CONTACT_WIDGETS,
        }
        labels = {
            "category": "申报类别",
            "base_level": "基地级别",
            "cross_key": "国家乡村振兴重点帮扶县",
            "cross_other": "非国家乡村振兴重点帮扶县",
            "local_key": "国家乡村振兴重点帮扶县",
            "local_other": "非国家乡村振兴重点帮扶县",
            "cross_key_counties": "县名称",
            "cross_other_counties": "县名称",
            "local_key_counties": "县名称",
            "local_other_counties": "县名称",
            "service_form_other": "其他（请注明）",
            "recommender": "推荐单位（提交至）",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = self.instance
        call = app.call
        self.fields["category"].choices = [c for c in self.fields["category"].choices if c[0]]
        choices = allowed_recommenders(app)
        recommender = self.fields["recommender"]
        recommender.queryset = choices
        recommender.empty_label = "— 请选择 —"
        recommender.label_from_instance = partial(recommender_label, app.unit)
        recommender.widget = RecommenderSelect(
            bureau_ids=[o.pk for o in choices if o.kind == "municipal"],
            attrs=recommender.widget.attrs,
        )
        recommender.widget.choices = recommender.choices
        self.fields[
            "recommender"
        ].help_text = (
            "所在区人社局或行业主管部门；享受政府特殊津贴专家领衔的项目也可直接报市人社局。"
        )
        self.fields["base"].queryset = Base.objects.filter(host_unit=app.unit, is_active=True)
        self.fields["base"].empty_label = "— 未登记，在下方填写基地名称 —"
        if app.relies_on_base is not None:
            self.initial["relies_on_base_choice"] = "yes" if app.relies_on_base else "no"
        self.initial["version"] = app.version
        self.fields["service_content"].widget.attrs["data-limit"] = call.service_content_limit
        self.fields["summary"].widget.attrs["data-limit"] = call.summary_limit
        self.fields[
            "service_days"
        ].help_text = (
            f"服务团累计服务时长不少于 {call.min_service_days} 天，每次应解决 1–2 个具体问题。"
        )
        self.fields["requested_amount"].help_text = (
            f"国家级服务团经费支持不超过 {call.national_cap:g} 万元，"
            f"市级服务团不超过 {call.municipal_cap:g} 万元。"
        )
        self.fields["start_date"].help_text = f"应在 {call.year} 年内。"
        for name in ("budget_total", "requested_amount"):
            _money_field(self.fields[name])
        self.fields["service_days"].widget.attrs.update({"step": "0.5", "min": "0"})
        self.fields["service_days"].error_messages.update(
            {
                "invalid": "请输入天数，例如 5 或 5.5。",
                "max_decimal_places": "天数最多保留 1 位小数。",
                "max_digits": "天数过大。",
                "max_whole_digits": "天数过大。",
            }
        )
        for name in ("expert_count", "service_count"):
            self.fields[name].widget.attrs["min"] = "0"
        bound_long_texts(self)
        chinese_blanks(self)
        _distinguish_repeated_labels(self)
        if not self.is_bound:
            _say_which_counties_were_found(self, app)
        #: The call's 服务领域 (ServiceFieldOption), offered in a list under the box.
        self.service_field_options = list(call.service_fields.values_list("name", flat=True))
        if self.service_field_options:
            self.fields["service_field"].widget.attrs["list"] = "service-field-options"
            self.fields[
                "service_field"
            ].help_text = "可从列表中选择；列表中没有的（其他），请直接填写。"

    def clean_service_field(self):
        """A field written as the list writes it (ignoring spaces) is the list's field."""
        value = (self.cleaned_data.get("service_field") or "").strip()
        squeezed = "".join(value.split())
        for option in getattr(self, "service_field_options", []):
            if "".join(option.split()) == squeezed:
                return option
        return value

    def _sane_date(self, name):
        value = self.cleaned_data.get(name)
        problem = date_problem(value, self.instance.call.year, self.fields[name].label)
        if problem:
            raise forms.ValidationError(problem.split("：", 1)[1])
        return value

    def clean_start_date(self):
        return self._sane_date("start_date")

    def clean_end_date(self):
        return self._sane_date("end_date")

    def clean(self):
        data = super().clean()
        choice = data.get("relies_on_base_choice")
        data["relies_on_base"] = {"yes": True, "no": False}.get(choice)
        return data

    def save(self, commit=True):
        app = self.instance
        app.relies_on_base = self.cleaned_data.get("relies_on_base")
        if app.relies_on_base is False:
            app.base, app.base_level, app.base_name = None, "", ""
        elif app.base is not None:
            # A registered base names itself; 国家级 bases are the ministry's (部级).
            app.base_name = app.base.name
            app.base_level = BASE_LEVEL_ON_FORM[app.base.level]
        return super().save(commit)


class RowNames:
    """Each box of a row says which row it is in, for a screen reader: 服务专家名单第 2 行·姓名
    (the row added in the browser gets its number there: static/js/forms.js)."""

    def name_boxes(self):
        section, _, index = (self.prefix or "").rpartition("-")
        row = "__row__" if index == "__prefix__" else str(int(index) + 1) if index.isdigit() else ""
        for field in self.fields.values():
            if field.label and not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs["aria-label"] = (
                    f"{ROW_SECTIONS.get(section, '')}第 {row} 行·{field.label}"
                )


class ExpertForm(RowNames, forms.ModelForm):
    talents = forms.MultipleChoiceField(
        label="人才计划与荣誉",
        choices=Talent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Expert
        field_classes = {"mobile": HalfWidthCharField}
        fields = [
            "name",
            "work_unit",
            "affiliation",
            "title",
            "title_level",
            "talents",
            "talent_other",
            "specialty",
            "mobile",
            "is_leader",
        ]
        widgets = {"mobile": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chinese_blanks(self)
        self.name_boxes()


class DivisionSelect(forms.Select):
    """A level of a place, picked from the national divisions; static/js/divisions.js fills
    the next level's list when this one changes (without script: after 保存草稿)."""

    def __init__(self, level: str, attrs=None):
        super().__init__({"data-division": level, **(attrs or {})})
        if level != "county":
            # Where the script reads the next level's list: …/divisions/city/<code>/.
            following = "city" if level == "province" else "county"
            url = reverse("division_options", args=[following, "0"])
            self.attrs["data-options"] = url.removesuffix("0/")


#: The levels of a place: (code box, name box, label, what a wrong pick says).
PLACE_LEVELS = (
    ("province_code", "province", "省（自治区、直辖市）", "不在全国行政区划代码中"),
    ("city_code", "city", "地市", "不属于所选省（自治区、直辖市）"),
    ("county_code", "county", "区县", "不属于所选地市"),
)


class PlaceForm(RowNames, forms.ModelForm):
    """活动地点: province → 地市 → 区县 picked from the national divisions (GB/T 2260), each
    level's list holding the places under the level above as last saved. A place the list
    lacks is typed in the box under its level; a typed name the list has (云南、云南省) is
    taken as the list's place."""

    class Meta:
        model = ServicePlace
        fields = [
            "province_code",
            "city_code",
            "county_code",
            "province",
            "city",
            "county",
            "is_key_county",
        ]
        labels = {
            "province_code": "省（自治区、直辖市）",
            "city_code": "地市",
            "county_code": "区县",
            "province": "省（列表中没有时填写）",
            "city": "地市（列表中没有时填写）",
            "county": "区县（列表中没有时填写）",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        places = divisions()
        province = self._chosen("province_code")
        city = self._chosen("city_code")
        lists = {
            "province_code": places.provinces,
            "city_code": places.cities(province),
            "county_code": places.counties(city),
        }
        for code_box, name_box, label, _wrong in PLACE_LEVELS:
            blank = "请选择" if lists[code_box] or code_box == "province_code" else "—"
            self.fields[code_box].widget = DivisionSelect(
                code_box.removesuffix("_code"),
                attrs={"data-blank": "请选择"},
            )
            self.fields[code_box].widget.choices = [("", blank)] + [
                (d.code, d.name) for d in lists[code_box]
            ]
            self.fields[code_box].label = label
            self.fields[code_box].error_messages["max_length"] = (
                f"所选{label}不在全国行政区划代码中，请从列表中重新选择。"
            )
            if not self.is_bound and getattr(self.instance, code_box):
                # Picked from the list: the box for a place the list lacks starts empty.
                self.initial[name_box] = ""
        self.name_boxes()

    def _chosen(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), "") or "")[:6]
        return getattr(self.instance, name, "") or ""

    def clean(self):
        data = super().clean()
        places = divisions()
        province, city, county = (data.get(box) or "" for box, *_ in PLACE_LEVELS)
        found = {
            "province_code": places.province(province),
            "city_code": places.city(city, province),
            "county_code": places.county(county, city),
        }
        for code_box, _name_box, label, wrong in PLACE_LEVELS:
            code = data.get(code_box) or ""
            if code and found[code_box] is None:
                self.add_error(
                    code_box, f"所选{label}（代码 {code[:6]}）{wrong}，请从列表中重新选择。"
                )
                return data
        # Names typed where the list has the place: take the list's codes.
        if not province and (data.get("province") or "").strip():
            matched = places.match_place(data["province"], data.get("city") or "", "")
            province = data["province_code"] = matched[0]
            city = data["city_code"] = data.get("city_code") or matched[1]
        if province and not city and (data.get("city") or "").strip():
            matched = places.match_place(places.name(province), data["city"], "")
            city = data["city_code"] = matched[1]
        if city and not county and (data.get("county") or "").strip():
            found_county = places.match_county(data["county"], city)
            data["county_code"] = found_county.code if found_county else ""
        return data


class BudgetItemForm(RowNames, forms.ModelForm):
    class Meta:
        model = BudgetItem
        field_classes = {"amount": HalfWidthDecimalField}
        fields = ["item", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _money_field(self.fields["amount"])
        self.name_boxes()


class FundingSourceForm(RowNames, forms.ModelForm):
    class Meta:
        model = FundingSource
        field_classes = {"amount": HalfWidthDecimalField}
        fields = ["source", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _money_field(self.fields["amount"])
        self.name_boxes()


#: The most rows each list of 附件1 takes. The notice sets no count, so each cap is the paper
#: form's own scale with room to spare: a 服务团 is one team whose size the 一览表 prints in a
#: single cell (issue 23 speaks of pasting a roster of 20), its 活动地点 are the 地市 and
#: 区县 it covers (Shanghai has 16 区; a 帮扶 team adds a few counties elsewhere), and 经费保障
#: (at most 20 万元) is a budget of a few lines paid from a few sources. A request declaring
#: more is refused before a row is built (shanghai_experts.formsets), which bounds the cost of a
#: save to that of a full page.
ROW_CAPS = {"experts": 50, "places": 50, "budget_items": 30, "funding_sources": 10}


def _formset(model, form, section):
    return bounded_inlineformset_factory(
        Application, model, form=form, extra=0, can_delete=True, max_num=ROW_CAPS[section]
    )


FORMSETS = {
    "experts": _formset(Expert, ExpertForm, "experts"),
    "places": _formset(ServicePlace, PlaceForm, "places"),
    "budget_items": _formset(BudgetItem, BudgetItemForm, "budget_items"),
    "funding_sources": _formset(FundingSource, FundingSourceForm, "funding_sources"),
}


class ApplicationBundle(ItemBundle):
    """The main form with its four row lists, saved together or not at all."""

    form_class = ApplicationForm
    formset_classes = FORMSETS
    row_sections = ROW_SECTIONS
    sections = FORM_SECTIONS
    #: 是否依托专家服务基地 is asked as a pair of radio buttons.
    problem_boxes = {"relies_on_base": ("relies_on_base_choice", "id_relies_on_base_choice_0")}


def _distinguish_repeated_labels(form) -> None:
    """Boxes the page labels alike (县名称 ×4) get the model's full name as their accessible
    name (跨省帮扶·重点帮扶县名称)."""
    seen = {}
    for name, field in form.fields.items():
        seen.setdefault(str(field.label), []).append(name)
    for names in seen.values():
        if len(names) < 2:
            continue
        for name in names:
            try:
                full = str(form._meta.model._meta.get_field(name).verbose_name)
            except Exception:  # a form-only field: its own name is all there is
                full = f"{form.fields[name].label}（{name}）"
            form.fields[name].widget.attrs["aria-label"] = full
