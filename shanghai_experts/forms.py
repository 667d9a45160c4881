"""Form pieces both forms (附件1 and 附件2) share."""

from __future__ import annotations

import dataclasses

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import JsonResponse
from django.utils import timezone

from .models import Organisation
from .text import half_width


class HalfWidthCharField(forms.CharField):
    """A phone or code box: full-width characters typed by an input method become ASCII."""

    def to_python(self, value):
        return super().to_python(half_width(value) if value not in self.empty_values else value)


class HalfWidthDecimalField(forms.DecimalField):
    """An amount typed with full-width digits or point (１２．５) is read as 12.5."""

    def to_python(self, value):
        if isinstance(value, str):
            value = half_width(value)
        return super().to_python(value)


def section_status(problems, sections) -> list[tuple[str, str, int]]:
    """(anchor, title, number of problems) for each section of an edit page. `sections` is
    the form's (anchor, title, boxes); a problem counts in the section holding its row list
    or else its box, the first section when neither is listed."""
    counts = dict.fromkeys((anchor for anchor, _title, _boxes in sections), 0)
    for problem in problems:
        where = problem.section or problem.field  # a row's box counts with its list
        anchor = next((a for a, _t, boxes in sections if where in boxes), sections[0][0])
        counts[anchor] += 1
    return [(anchor, title, counts[anchor]) for anchor, title, _boxes in sections]


class StaleVersion(Exception):
    """Someone saved the item after this form was loaded."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One reason the item cannot be submitted yet."""

    field: str  # a field of the item or of the row
    message: str
    section: str | None = None  # a section of rows (附件1's expert roster…) for a row problem
    row_pk: int | None = None


def recommender_choices(unit: Organisation, *, bureau_directly: bool):
    """Where `unit` may send an item: its district office or a commission, and with
    `bureau_directly` the bureau itself."""
    kinds = Q(kind=Organisation.Kind.COMMISSION)
    if unit.district_id:
        kinds |= Q(pk=unit.district_id)
    if bureau_directly:
        kinds |= Q(kind=Organisation.Kind.MUNICIPAL)
    # The unit's own district office first, then its 行业主管部门, the other commissions, and
    # the bureau last.
    order = Case(
        When(pk=unit.district_id or 0, then=Value(0)),
        When(pk=unit.commission_id or 0, then=Value(1)),
        When(kind=Organisation.Kind.MUNICIPAL, then=Value(3)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Organisation.objects.filter(kinds, is_active=True)
        .annotate(place=order)
        .order_by("place", "kind", "id")
    )


def recommender_label(unit: Organisation, organisation: Organisation) -> str:
    """How a recommender is offered to `unit`: its own marked, the bureau explained."""
    if organisation.pk == unit.district_id:
        return f"{organisation}（本区）"
    if organisation.pk == unit.commission_id:
        return f"{organisation}（本单位行业主管部门）"
    if organisation.is_bureau:
        return f"{organisation}（仅限享受政府特殊津贴专家领衔的项目直接申报）"
    return str(organisation)


class RecommenderSelect(forms.Select):
    """The bureau's option carries data-special-allowance-only: the page offers it only while a
    领衔专家 with 享受政府特殊津贴 is ticked (static/js/forms.js)."""

    def __init__(self, *args, bureau_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bureau_ids = {str(pk) for pk in bureau_ids}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.bureau_ids:
            option["attrs"]["data-special-allowance-only"] = "1"
        return option


#: A draft's long text may run past the notice's limit while the clerk edits (the limit is
#: checked on submission), but never without bound.
DRAFT_TEXT_MULTIPLE = 10
DRAFT_TEXT_DEFAULT = 10_000


def bound_long_texts(form: forms.Form) -> None:
    """Give every multi-line text box of `form` a maximum length the server enforces: ten times
    its 字数 limit where it has one (`data-limit`), else 10,000 characters."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField) or not isinstance(field.widget, forms.Textarea):
            continue
        limit = field.widget.attrs.get("data-limit")
        most = int(limit) * DRAFT_TEXT_MULTIPLE if limit else DRAFT_TEXT_DEFAULT
        field.max_length = most
        field.validators.append(MaxLengthValidator(most))
        field.error_messages["max_length"] = (
            f"{field.label or name}：内容过长（最多 {most} 字），请精简后再保存。"
        )
        field.widget.attrs["maxlength"] = str(most)


BLANK_LABEL = "— 请选择 —"


def chinese_blanks(form: forms.Form) -> None:
    """A select's empty choice reads 请选择, not Django's ---------."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None and str(field.empty_label).startswith("-"):
                field.empty_label = BLANK_LABEL
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)
            if choices and choices[0][0] in ("", None) and str(choices[0][1]).startswith("-"):
                field.choices = [("", BLANK_LABEL), *choices[1:]]


#: What a summary line calls a box the page does not label: the hidden version and row id fail
#: only when the page is stale (another tab deleted the row, a page kept from an old visit).
UNLABELLED = {
    "version": "页面版本（请重新打开本页）",
    "id": "本行（可能已在别处删除，请重新打开本页）",
}


def summary_label(form: forms.Form, name: str, *, row: bool = False) -> str:
    """The name of box `name` in an error summary: the distinguishing name a screen reader
    hears for boxes labelled alike (县名称 ×4 → 跨省帮扶·重点帮扶县名称), never "None". A row's
    boxes name their row in the summary line itself, so they keep their short label."""
    field = form.fields.get(name)
    if field is None:
        return UNLABELLED.get(name, "表单")
    if not row and field.widget.attrs.get("aria-label"):
        return str(field.widget.attrs["aria-label"])
    return str(field.label) if field.label else UNLABELLED.get(name, name)


def autosave_answer(*, saved=None, version=None, rows=None, errors=None, stale=False):
    """The JSON an edit page's autosave reads (static/js/autosave.js): saved, refused as
    stale (someone else saved: never overwritten), or not saved because a box is malformed."""
    if stale:
        return JsonResponse(
            {
                "status": "conflict",
                "message": "本表已在别处保存过（可能是另一个浏览器标签页或同事），自动保存已暂停："
                "请复制需要保留的内容后刷新页面。",
            },
            status=409,
        )
    if errors:
        return JsonResponse(
            {
                "status": "invalid",
                "message": f"有 {len(errors)} 处格式有误，未自动保存：" + errors[0],
            }
        )
    return JsonResponse(
        {
            "status": "saved",
            "version": version,
            "rows": rows or {},
            "saved_at": timezone.localtime(saved).strftime("%H:%M"),
        }
    )
