"""Form pieces both forms (附件1 and 附件2) share."""

from __future__ import annotations

import dataclasses

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q

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


class StaleVersion(Exception):
    """Someone saved the item after this form was loaded."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One reason the item cannot be submitted yet."""

    field: str  # a field of the item or of the row
    message: str
    section: str | None = None  # a section of rows (附件1's expert roster…) for a row problem
    row_pk: int | None = None

    def describe(self, label: str) -> str:
        return f"{label}：{self.message}"


def recommender_choices(unit: Organisation, *, bureau_directly: bool):
    """Where `unit` may send an item: its district office or a commission, and with
    `bureau_directly` the bureau itself."""
    kinds = Q(kind=Organisation.Kind.COMMISSION)
    if unit.district_id:
        kinds |= Q(pk=unit.district_id)
    if bureau_directly:
        kinds |= Q(kind=Organisation.Kind.MUNICIPAL)
    return Organisation.objects.filter(kinds, is_active=True).order_by("kind", "id")


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
