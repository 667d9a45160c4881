"""The list filters' one-pass widgets write what Django's own widgets write."""

import re

import pytest
from django import forms

from shanghai_experts.widgets import FilterCheckbox, FilterInput, FilterSelect

CHOICES = [("", "全部"), ("a&b", "甲<乙>"), ("q\"'", "“引号”'s"), (3, "第3区")]


def squeezed(html: str) -> str:
    """Without the whitespace Django's templates put between tags, attributes in order."""
    html = re.sub(r">\s+<", "><", html.strip())
    return re.sub(r"<(\w+)([^>]*)>", lambda m: f"<{m[1]}{''.join(sorted(m[2].split()))}>", html)


@pytest.mark.parametrize("value", [None, "", "a&b", "q\"'", "3", 3, "<script>"])
def test_filter_select_writes_what_select_writes(value):
    attrs = {"class": "form-select form-select-sm", "id": "id_x"}
    ours = FilterSelect(choices=CHOICES, attrs=attrs).render("x", value)
    django = forms.Select(choices=CHOICES, attrs=attrs).render("x", value)
    assert squeezed(ours) == squeezed(django)
    assert "<script>" not in ours and "甲&lt;乙&gt;" in ours


@pytest.mark.parametrize("value", [None, "", "第7<专家>团", '"引号"'])
def test_filter_input_writes_what_text_input_writes(value):
    attrs = {"class": "form-control form-control-sm", "maxlength": "50", "id": "id_q"}
    ours = FilterInput(attrs=attrs).render("q", value)
    assert squeezed(ours) == squeezed(forms.TextInput(attrs=attrs).render("q", value))


@pytest.mark.parametrize("value", [None, "", "on", True, False])
def test_filter_checkbox_writes_what_checkbox_input_writes(value):
    attrs = {"class": "form-check-input", "id": "id_p"}
    ours = FilterCheckbox(attrs=attrs).render("p", value)
    assert squeezed(ours) == squeezed(forms.CheckboxInput(attrs=attrs).render("p", value))
