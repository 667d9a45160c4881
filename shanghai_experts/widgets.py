"""Widgets for pages that render many of them: list filters on every queue request."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class FilterSelect(forms.Select):
    """A single-choice <select> rendered in one pass.

    Django's Select renders each <option> through its own template; a filter of 45
    recommenders then costs more than the 50-row table beside it. The HTML is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value is None else str(value)
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # Plain escaping a string at a time: format_html per <option> cost more than the
        # rest of the filter box (a bureau's 推荐单位 list has some 50).
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key == selected else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in ((str(v), label) for v, label in self.choices)
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


class FilterInput(forms.TextInput):
    """A text box rendered in one pass (Django's goes through a template per widget)."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "type": "text", "name": name})
        if value not in (None, ""):
            final["value"] = self.format_value(value)
        return format_html("<input{}>", flatatt(final))


class FilterCheckbox(forms.CheckboxInput):
    """A tick box rendered in one pass, ticked as CheckboxInput decides."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "type": "checkbox", "name": name})
        if self.check_test(value):
            final["checked"] = True
        if value not in (True, False, None, ""):  # as CheckboxInput: the submitted value
            final["value"] = self.format_value(value)
        return format_html("<input{}>", flatatt(final))


def filter_widgets(form: forms.Form) -> None:
    """Give a list's filter form the one-pass widgets above, styled small as filters are."""
    for field in form.fields.values():
        maxlength = field.widget.attrs.get("maxlength")
        if isinstance(field.widget, forms.Select):
            field.widget = FilterSelect(
                choices=field.choices, attrs={"class": "form-select form-select-sm"}
            )
        elif isinstance(field.widget, forms.CheckboxInput):
            field.widget = FilterCheckbox(attrs={"class": "form-check-input"})
        else:
            attrs = {"class": "form-control form-control-sm"}
            if maxlength:
                attrs["maxlength"] = maxlength
            field.widget = FilterInput(attrs=attrs)


class ListFilter(forms.Form):
    """A list's filter box. A bad value in one field (a sort typed into the address, an old
    link) leaves the others in force; the page names the field in its error."""

    @cached_property
    def chosen(self) -> dict:
        """The filters that are valid, by name (empty when nothing was asked)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data
