"""Form pieces both forms (附件1 and 附件2) share: the contact boxes and their rules, and the
bundle of an item's form with its lists of rows that the one edit view saves."""

from __future__ import annotations

import dataclasses

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_email
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.utils import timezone

from .models import Organisation
from .states import EDITABLE_STATES
from .text import half_width
from .validators import format_error, is_blank, validate_mobile, validate_office_phone


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


#: What a malformed e-mail address is told, on the box and by the submission check alike.
EMAIL_MESSAGE = "E-mail 格式不正确，例如 name@example.com。"


def validate_contact_email(value: str) -> None:
    """An e-mail address (an internationalised domain too), refused with EMAIL_MESSAGE."""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(EMAIL_MESSAGE, code="email") from None


class EmailBox(forms.CharField):
    """An e-mail box: what is typed, without the spaces around it, must be an address."""

    default_validators = [validate_contact_email]


#: The contact boxes of 附件1, 附件2 and the bureau's registry of bases (ModelForm Meta's
#: field_classes and widgets): phones typed with an input method's full-width digits are read
#: as ASCII, every box is stripped, and the e-mail address is checked as it is saved.
CONTACT_FIELD_CLASSES = {
    "office_phone": HalfWidthCharField,
    "mobile": HalfWidthCharField,
    "email": EmailBox,
}
CONTACT_WIDGETS = {
    "office_phone": forms.TextInput(attrs={"placeholder": "021-63588888"}),
    "mobile": forms.TextInput(attrs={"placeholder": "13812345678", "inputmode": "tel"}),
    "email": forms.TextInput(attrs={"placeholder": "name@example.com", "type": "email"}),
}

#: The formats the submission check asks of the contact boxes; each message names its box.
CONTACT_FORMATS = (
    ("office_phone", validate_office_phone),
    ("mobile", validate_mobile),
    ("email", validate_contact_email),
)


def contact_problems(item) -> list[Problem]:
    """The contact boxes of `item` (附件1 or 附件2) whose format is wrong. A value is read
    without the spaces around it, however it was stored (a form strips them; an import or a
    copy from the registry may not)."""
    problems = []
    for field, validator in CONTACT_FORMATS:
        value = getattr(item, field)
        if not is_blank(value):
            error = format_error(value.strip(), validator)
            if error:
                problems.append(Problem(field, error))
    return problems


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


# --- an item's form with its lists of rows ----------------------------------------------------


@transaction.atomic
def save_over_version(form, *, states=EDITABLE_STATES, formsets=()):
    """Save `form` (a ModelForm over an item with a hidden `version`) and its `formsets` under
    a lock on the item's row: refused (StaleVersion) when someone saved since the form was
    loaded, or when the item is no longer in one of `states`, whatever the view checked."""
    item = form.instance
    row = (
        type(item)
        .objects.select_for_update()
        .filter(pk=item.pk)
        .values_list("version", "state")
        .first()
    )
    if row is None or row[1] not in states or row[0] != form.cleaned_data["version"]:
        raise StaleVersion
    item = form.save(commit=False)
    item.version = row[0] + 1
    item.save()
    for formset in formsets:
        _save_rows(formset, item)
    return item


def _save_rows(formset, item) -> None:
    """A list's rows in the order shown; a blank row the user never filled is not kept."""
    formset.save(commit=False)  # fills deleted_objects
    for obj in formset.deleted_objects:
        obj.delete()
    position = 0
    for row_form in formset.forms:
        if row_form in formset.deleted_forms:
            continue
        if row_form.instance.pk is None and not row_form.has_changed():
            continue
        setattr(row_form.instance, formset.fk.name, item)
        row_form.instance.position = position
        row_form.instance.save()
        position += 1


class ItemBundle:
    """An item's edit form with its lists of rows (附件1 has four, 附件2 none), saved together
    or not at all. A form's app declares a subclass: the form, its row lists and their titles.

    The forms check formats only, so a half-filled draft saves; submission_problems says what
    submission still needs, and `attach` puts each finding on its box."""

    form_class: type[forms.ModelForm]
    #: prefix → the inline formset of that list of rows.
    formset_classes: dict = {}
    #: prefix → the list's title (服务专家名单), which a row's message names.
    row_sections: dict[str, str] = {}
    #: A finding on a model field the page shows through another box: field → (box, anchor).
    problem_boxes: dict[str, tuple[str, str]] = {}
    #: The edit page's sections (anchor, title, the boxes in it), each shown with its count
    #: of problems left (section_status).
    sections: tuple = ()

    def __init__(self, item, data=None):
        self.item = item
        self.form = self.form_class(data, instance=item)
        self.formsets = {}
        for prefix, formset_class in self.formset_classes.items():
            formset = formset_class(data, instance=item, prefix=prefix)
            if data is None and not formset.initial_forms:
                # A blank row to start with, so the list shows what it wants.
                formset = formset_class(instance=item, prefix=prefix)
                formset.extra = 1
            self.formsets[prefix] = formset
        self.section_errors: dict[str, list[str]] = {}
        self.summary: list[str] = []
        #: Beside each summary line, the id of the box it is about (the line links to it).
        self.summary_anchors: list[str] = []

    @property
    def summary_items(self) -> list[tuple[str, str]]:
        anchors = self.summary_anchors + [""] * (len(self.summary) - len(self.summary_anchors))
        return list(zip(self.summary, anchors, strict=False))

    @property
    def refused_sections(self) -> list[str]:
        """The lists whose declared row count was refused (no row of theirs is cleaned)."""
        return [prefix for prefix, fs in self.formsets.items() if fs.declared_refusal]

    def is_valid(self) -> bool:
        if self.refused_sections:
            return False  # decided from the row counts alone, before any row is built
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    def save_checked(self):
        """Save everything under a row lock; refuse (StaleVersion) if someone saved between."""
        return save_over_version(self.form, formsets=self.formsets.values())

    def rows(self) -> dict[str, list]:
        """The id of each row as saved, by list: the page gives new rows theirs (autosave)."""
        return {
            prefix: [form.instance.pk for form in formset.forms]
            for prefix, formset in self.formsets.items()
        }

    def _where(self, section: str, index: int, row_form, field: str) -> str:
        label = summary_label(row_form, field, row=True)
        return f"{self.row_sections[section]}第 {index + 1} 行{_row_name(row_form)}·{label}"

    def attach(self, problems: list[Problem]) -> None:
        """Show `problems` on the boxes concerned, and in the summary at the top. The bundle
        shows saved data (unbound)."""
        for form in [self.form, *(f for fs in self.formsets.values() for f in fs.forms)]:
            if not form.is_bound:
                # add_error() expects a cleaned form; an unbound one has nothing to clean.
                form._errors, form.cleaned_data = ErrorDict(), {}
        by_pk = {
            section: {f.instance.pk: (i, f) for i, f in enumerate(fs.forms) if f.instance.pk}
            for section, fs in self.formsets.items()
        }
        for problem in problems:
            if problem.section:
                index, row_form = by_pk[problem.section][problem.row_pk]
                row_form.add_error(problem.field, problem.message)
                where = self._where(problem.section, index, row_form, problem.field)
                anchor = f"id_{problem.section}-{index}-{problem.field}"
            elif problem.field in self.formsets:
                self.section_errors.setdefault(problem.field, []).append(problem.message)
                where = self.row_sections[problem.field]
                anchor = f"rows-{problem.field}"
            elif problem.field in self.problem_boxes:
                box, anchor = self.problem_boxes[problem.field]
                self.form.add_error(box, problem.message)
                where = summary_label(self.form, box)
            elif problem.field in self.form.fields:
                self.form.add_error(problem.field, problem.message)
                where = summary_label(self.form, problem.field)
                anchor = f"id_{problem.field}"
            else:
                self.form.add_error(None, problem.message)
                where = str(type(self.item)._meta.get_field(problem.field).verbose_name)
                anchor = ""
            self.summary.append(f"{where}：{problem.message}")
            self.summary_anchors.append(anchor)

    def format_summary(self) -> list[str]:
        """Names the boxes whose format was refused, for the message at the top."""
        refused = self.refused_sections
        if refused:
            # Only the refusal: the rows of a refused list are not cleaned, and the autosave
            # that asks for this summary answers without building them.
            self.summary_anchors = [f"rows-{section}" for section in refused]
            return [
                f"{self.row_sections[section]}：{self.formsets[section].declared_refusal}"
                for section in refused
            ]
        lines, anchors = _form_summary(self.form)
        for section, formset in self.formsets.items():
            for index, row_form in enumerate(formset.forms):
                for name, errors in row_form.errors.items():
                    where = self._where(section, index, row_form, name)
                    lines += [f"{where}：{e}" for e in errors]
                    anchors += [f"id_{section}-{index}-{name}"] * len(errors)
            errors = formset.non_form_errors()
            lines += [f"{self.row_sections[section]}：{e}" for e in errors]
            anchors += [f"rows-{section}"] * len(errors)
        self.summary_anchors = anchors
        return lines


def _form_summary(form) -> tuple[list[str], list[str]]:
    """The summary lines of a form's refused boxes, and beside each the id of its box."""
    lines, anchors = [], []
    for name, errors in form.errors.items():
        label = "表单" if name == "__all__" else summary_label(form, name)
        lines += [f"{label}：{e}" for e in errors]
        anchors += ["" if name == "__all__" else f"id_{name}"] * len(errors)
    return lines, anchors


class VersionChecked:
    """A ModelForm over an item, with a hidden `version`, that refuses to overwrite a save
    made since it loaded, or a save in a state where its boxes may not change (checked on the
    locked row): the edit flow's protocol (`save_checked`, `format_summary`, `rows`) for a
    form of one box or a few, without lists of rows (附件2's rectification report)."""

    #: The states in which the form's boxes may be saved.
    editable_states = EDITABLE_STATES

    def save_checked(self):
        return save_over_version(self, states=self.editable_states)

    def format_summary(self) -> list[str]:
        lines, self.summary_anchors = _form_summary(self)
        return lines

    def rows(self) -> dict[str, list]:
        return {}


def _row_name(row_form) -> str:
    """赵新增 for a roster row with a name: so a message names the expert, not only the row."""
    if "name" not in row_form.fields:
        return ""
    data = row_form.cleaned_data if hasattr(row_form, "cleaned_data") else {}
    name = (data.get("name") if data else None) or getattr(row_form.instance, "name", "")
    return f" {name.strip()}" if name and name.strip() else ""


def autosave(editing):
    """An edit page's autosave: the same versioned save as 保存草稿, answered in JSON
    (autosave_answer); it never submits. `editing` is an ItemBundle or a VersionChecked form."""
    if not editing.is_valid():
        return autosave_answer(errors=editing.format_summary())
    try:
        item = editing.save_checked()
    except StaleVersion:
        return autosave_answer(stale=True)
    return autosave_answer(saved=item.updated_at, version=item.version, rows=editing.rows())
