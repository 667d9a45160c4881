"""The contact boxes (办公电话, 手机, E-mail) are one rule for both forms: the same message for
the same bad value, on the box and in the submission check, and the value read without the
spaces around it, whichever form holds it."""

import pytest
from django.urls import reverse

from bases.models import Assessment
from shanghai_experts.forms import EMAIL_MESSAGE

from .factories import AssessmentFactory, CompleteApplicationFactory, UserFactory
from .forms_data import form_data as application_data


def assessment_data(assessment, **overrides):
    """附件2's edit form as a browser posts it, with `overrides`."""
    names = [
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
    ]
    data = {
        name: "" if getattr(assessment, name) is None else getattr(assessment, name)
        for name in names
    }
    data.update(recommender=assessment.recommender_id or "", version=assessment.version)
    data.update(overrides)
    return data


@pytest.fixture
def both(db, call):
    """A complete 附件1 and a complete 附件2 of one unit: (item, edit URL, the data builder)."""
    app = CompleteApplicationFactory(call=call)
    assessment = AssessmentFactory(call=call, base__host_unit=app.unit)
    return [
        (app, reverse("applications:edit", args=[app.pk]), application_data),
        (assessment, reverse("bases:assessment_edit", args=[assessment.pk]), assessment_data),
    ]


@pytest.fixture
def unit_client(client, both):
    client.force_login(UserFactory(organisation=both[0][0].unit))
    return client


def messages_of(item) -> dict[str, str]:
    return {p.field: p.message for p in item.submission_problems() if p.section is None}


def test_a_bad_email_is_refused_on_the_box_with_the_same_words(unit_client, both):
    pages = []
    for item, url, data in both:
        response = unit_client.post(url, data(item, email="zhang@", action="save"))
        pages.append(response.content.decode())
        item.refresh_from_db()
        assert item.email != "zhang@"
    for page in pages:
        assert f"E-mail：{EMAIL_MESSAGE}" in page


@pytest.mark.parametrize(
    ("field", "bad"),
    [("email", "zhang@"), ("mobile", "1381234567"), ("office_phone", "63588888")],
)
def test_the_submission_check_says_the_same_of_the_same_bad_value(both, field, bad):
    said = []
    for item, _url, _data in both:
        setattr(item, field, bad)
        said.append(messages_of(item)[field])
    assert said[0] == said[1]
    assert (
        said[0]
        == {
            "email": EMAIL_MESSAGE,
            "mobile": "手机号码应为 11 位数字，以 13–19 开头，例如 13812345678。",
            "office_phone": "办公电话应带区号，例如 021-63588888 或 021-63588888-123。",
        }[field]
    )


def test_both_forms_store_the_boxes_without_the_spaces_around_them(unit_client, both):
    for item, url, data in both:
        spaced = {"email": " zhang@example.org ", "mobile": " 13812345678 "}
        response = unit_client.post(url, data(item, action="save", **spaced))
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.email, item.mobile) == ("zhang@example.org", "13812345678")


def test_both_submission_checks_read_a_stored_value_without_its_spaces(both):
    """A value stored with spaces (an import, a copy from the registry) is not refused."""
    for item, _url, _data in both:
        item.email, item.mobile, item.office_phone = (
            " zhang@example.org ",
            " 13812345678 ",
            " 021-63588888 ",
        )
        assert not {"email", "mobile", "office_phone"} & set(messages_of(item))
