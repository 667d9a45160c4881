"""Widgets for pages that render many of them: list filters on every queue request."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FilterSelect(forms.Select):
    """A single-choice <select> rendered in one pass.

    Django's Select renders each <option> through its own template; a filter of 45
    recommenders then costs more than the 50-row table beside it. The HTML is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value is None else str(value)
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if key == selected else "", label)
                for key, label in ((str(v), label) for v, label in self.choices)
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
