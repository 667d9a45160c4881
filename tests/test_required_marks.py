"""A box the submission requires says so: a visible * (explained above the form) and
aria-required for a screen reader. Drafts still accept it blank, so the form's own `required`
is off; the marks follow the submission rules (applications.rules, bases.rules)."""

import re

import pytest
from django.urls import reverse

from .factories import AssessmentFactory, BaseFactory, CompleteApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

STAR = '<span class="required-mark" aria-hidden="true">*</span>'
MARK = " " + STAR  # after the label's text


def label_of(page: str, field_id: str) -> str:
    return re.search(rf'<label for="{field_id}" class="form-label">(.*?)</label>', page).group(1)


def control(page: str, field_id: str) -> str:
    return re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page).group(0)


def test_the_application_form_marks_what_submission_requires(client, call, unit):
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "标 " + STAR + " 的为必填项" in page
    for field_id in ("id_name", "id_mobile", "id_service_content", "id_recommender"):
        assert label_of(page, field_id).endswith(MARK), field_id
        assert 'aria-required="true"' in control(page, field_id), field_id
    # Filled only when a box beside it is ticked or 其他 chosen: no mark.
    for field_id in ("id_cross_key_counties", "id_service_form_other", "id_base_name"):
        assert MARK not in label_of(page, field_id), field_id
        assert "aria-required" not in control(page, field_id), field_id
    # A choice of two: the group is a required radio group, its legend marked.
    group = re.search(
        r'<div id="div_id_category" class="mb-3"><fieldset([^>]*)><legend[^>]*>(.*?)</legend>', page
    )
    assert group.groups() == (' role="radiogroup" aria-required="true"', "申报类别" + MARK)


def test_the_assessment_form_marks_what_submission_requires(client, call, unit):
    assessment = AssessmentFactory(call=call, base=BaseFactory(host_unit=unit))
    client.force_login(UserFactory(organisation=unit))
    page = client.get(reverse("bases:assessment_edit", args=[assessment.pk])).content.decode()
    assert label_of(page, "id_system_building").endswith(MARK)
    assert 'aria-required="true"' in control(page, "id_system_building")
    assert MARK not in label_of(page, "id_host_type_other")
    # Tick boxes cannot carry aria-required: the legend says 必填 to a screen reader.
    legend = re.search(
        r'<div id="div_id_host_types" class="mb-3"><fieldset><legend[^>]*>(.*?)</legend>', page
    )
    assert legend.group(1).endswith(MARK + '<span class="visually-hidden">（必填）</span>')


def test_a_hint_is_read_with_its_box(client, call, unit):
    """aria-describedby points at the hint line the page really has (it pointed at an id
    no element had)."""
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    page = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    described = re.search(r'aria-describedby="([^"]+)"', control(page, "id_recommender")).group(1)
    assert described == "id_recommender_helptext"
    assert '<div id="id_recommender_helptext" class="form-text">' in page
