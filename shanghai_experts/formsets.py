"""Row lists (formsets) whose cost is set by the form, not by the count the client sends.

Django builds as many row forms as the management form declares (``TOTAL_FORMS``), up to
``absolute_max``, which defaults to ``max_num + 1000``: a 2 KB request declaring 1,000 rows in
each of 附件1's four lists made a worker build, validate and render 4,000 forms (40 s of CPU and a
14 MB page). Every formset of the project is made by `bounded_formset_factory` (or
`bounded_inlineformset_factory`), which

- sets ``max_num`` to the list's cap and ``absolute_max`` to the cap plus `SLACK` (rows ticked
  删除 or left blank, which a save drops before counting), and
- reads the two declared counts from the management form before any row form is built, and
  refuses a count beyond ``absolute_max`` (or an ``INITIAL_FORMS`` larger than ``TOTAL_FORMS``,
  or below zero) with a message in Chinese: the refused list then shows again the rows that
  were sent, up to ``max_num`` of them, so what was typed stays on the page; nothing is saved.

tests/test_bounded_forms.py checks that every formset class in the project is one of these.
"""

from django import forms
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT
from django.utils.functional import cached_property

#: Rows beyond the cap that a request may still declare: rows ticked 删除 and blank rows the
#: user never filled, which the save drops. Within it, Django's own ``validate_max`` counts the
#: rows that remain and says "最多 N 行".
SLACK = 10


class BoundedRows:
    """Mixin before Django's BaseFormSet (or BaseInlineFormSet): bounds the rows built."""

    default_error_messages = {
        "too_many_forms": "最多填写 %(num)d 行，请删除多余的行后再保存。",
        "too_few_forms": "至少填写 %(num)d 行。",
        "missing_management_form": "行数信息缺失或无效（%(field_names)s），请刷新页面后重新填写。",
    }

    @cached_property
    def row_limit(self) -> int:
        """The most rows a request may declare: the cap plus `SLACK`.

        Rows saved before a cap was lowered all show on the page, so a list that already has
        more may declare them all: Django's own ``validate_max`` then asks for rows to be
        deleted, and the page still shows every row to delete. What is saved cannot grow past
        the cap, so the database bounds this, not the request."""
        allowed = self.max_num
        queryset = getattr(self, "get_queryset", None)
        if queryset is not None and getattr(self, "instance", True) is not None:
            allowed = max(allowed, queryset().count())
        return allowed + SLACK

    @cached_property
    def declared_refusal(self) -> str:
        """Why the declared row counts are refused, or "" when they are within bounds.

        Only the management form (four integers) is cleaned to find out: no row form is built.
        A management form that is missing or not a number is left to Django, which then builds
        no row at all and says so in the list's errors."""
        if not self.is_bound or not self.management_form.is_valid():
            return ""
        # Django builds up to absolute_max rows; the admin's factory leaves it at max_num +
        # 1000, and a list saved under a higher cap needs it raised to show its rows.
        self.absolute_max = self.row_limit
        total = self.management_form.cleaned_data[TOTAL_FORM_COUNT]
        initial = self.management_form.cleaned_data[INITIAL_FORM_COUNT]
        if total > self.row_limit:
            return (
                f"最多填写 {self.max_num} 行，本次提交了 {total} 行，未保存："
                "请删除多余的行后再保存。"
            )
        if total < 0 or initial < 0 or initial > total:
            return "提交的行数无效，未保存：请刷新页面后重新填写。"
        return ""

    @cached_property
    def _shown_total(self) -> int:
        """Rows of a refused list shown again: those within the cap up to the last one the
        request carries any box of (the keys are few: DATA_UPLOAD_MAX_NUMBER_FIELDS). So a
        count declared with nothing behind it costs nothing, and the worst a request can do is
        fill every row up to the cap: the cost of a full page."""
        total = self.management_form.cleaned_data[TOTAL_FORM_COUNT]
        shown = max(0, min(total, self.max_num))
        head = f"{self.prefix}-"
        last = -1
        for key in self.data:
            if key.startswith(head):
                index = key[len(head) :].partition("-")[0]
                if (
                    index.isascii()
                    and index.isdigit()
                    and len(index) < 6
                    and last < int(index) < shown
                ):
                    last = int(index)
        return last + 1

    def total_form_count(self):
        if self.is_bound and self.declared_refusal:
            return self._shown_total
        return super().total_form_count()

    def initial_form_count(self):
        if self.is_bound and self.declared_refusal:
            initial = self.management_form.cleaned_data[INITIAL_FORM_COUNT]
            return max(0, min(initial, self._shown_total))
        return super().initial_form_count()

    def full_clean(self):
        if self.is_bound and self.declared_refusal:
            # Refused whole: the rows are neither cleaned nor saved.
            self._errors = []
            self._non_form_errors = self.error_class(
                [self.declared_refusal], error_class="nonform", renderer=self.renderer
            )
            return
        super().full_clean()

    def is_valid(self):
        if self.is_bound and self.declared_refusal:
            self.non_form_errors()
            return False
        return super().is_valid()


class BoundedInlineFormSet(BoundedRows, forms.BaseInlineFormSet):
    """The formset of an admin inline (`formset = BoundedInlineFormSet` with a `max_num`)."""


def _checked_caps(max_num: int) -> dict:
    if not isinstance(max_num, int) or max_num < 1:
        raise ValueError("A bounded formset needs a positive max_num.")
    return {"max_num": max_num, "absolute_max": max_num + SLACK, "validate_max": True}


def _bounded(formset):
    return type(f"Bounded{formset.__name__}", (BoundedRows, formset), {})


def bounded_formset_factory(form, *, max_num: int, formset=forms.BaseFormSet, **kwargs):
    """`django.forms.formset_factory` with the caps above; `max_num` is required."""
    base = formset if issubclass(formset, BoundedRows) else _bounded(formset)
    return forms.formset_factory(form, formset=base, **_checked_caps(max_num), **kwargs)


def bounded_inlineformset_factory(
    parent_model, model, *, max_num: int, formset=forms.BaseInlineFormSet, **kwargs
):
    """`django.forms.inlineformset_factory` with the caps above; `max_num` is required."""
    base = formset if issubclass(formset, BoundedRows) else _bounded(formset)
    return forms.inlineformset_factory(
        parent_model, model, formset=base, **_checked_caps(max_num), **kwargs
    )
