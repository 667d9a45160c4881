"""Property-based tests: hostile values posted to every form never cause a server error, and a
refused submission stores nothing.

Each test takes the form as a browser would post it, replaces some of its fields with values
drawn by Hypothesis (very long strings, control characters, emoji, SQL and HTML fragments,
huge and odd numbers, malformed dates), and checks the response: a page with errors (200) or a
redirect (302), never a 500. When the page comes back with errors, the stored row must be
exactly what it was.
"""

import datetime
import io

import pytest
from axes.utils import reset
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Application
from bases.models import Assessment, Base
from reviews.engine import workflow
from reviews.models import AuditRecord, ScoreSheet
from shanghai_experts.models import DeadlineExtension, RecommenderQuota

from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data

FRAGMENTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x07\x1b[31m\x7f",
    "\r\n\r\n",
    "\u202e\u200b\ufeff",
    "😀👨‍👩‍👧‍👦🇨🇳",
    "' OR 1=1; --",
    '"; DROP TABLE applications_application; --',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "../../../../etc/passwd",
    '=HYPERLINK("http://evil")',
    "9" * 400,
    "-1",
    "-0",
    "1e309",
    "NaN",
    "Infinity",
    "0x1F",
    "１２３",
    "2026-02-30",
    "0000-00-00",
    "9999-99-99",
    "2026/13/45",
    "昨天",
    "字" * 5000,
]
HOSTILE = st.one_of(
    st.sampled_from(FRAGMENTS),
    # Anything a browser can send: every character but lone surrogates.
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def hostile_overrides(fields):
    return st.dictionaries(st.sampled_from(sorted(fields)), HOSTILE, min_size=1, max_size=6)


def assert_answered(response):
    assert response.status_code in (200, 302), response.status_code


def row_state(model, pk):
    return model.objects.filter(pk=pk).values().get()


# --- 附件1 -----------------------------------------------------------------------------------


@pytest.fixture
def draft(db, call):
    unit = UnitFactory()
    return CompleteApplicationFactory(call=call, unit=unit), UserFactory(organisation=unit)


#: The fields of the edit form, as its complete draft posts them (a fixed list: Hypothesis
#: needs the same choices to draw the same values from one run to the next).
APPLICATION_FIELDS = sorted(
    {
        *(f"{p}-{i}-{f}" for p, i, f in [("experts", 0, "name"), ("experts", 0, "title")]),
        "name",
        "category",
        "relies_on_base_choice",
        "base_name",
        "expert_count",
        "service_count",
        "service_days",
        "start_date",
        "end_date",
        "service_field",
        "office_phone",
        "mobile",
        "email",
        "service_forms",
        "service_content",
        "budget_total",
        "requested_amount",
        "summary",
        "recommender",
        "experts-TOTAL_FORMS",
        "experts-0-title_level",
        "experts-0-mobile",
        "places-0-county",
        "budget_items-0-amount",
        "funding_sources-0-amount",
        "places-TOTAL_FORMS",
    }
)


@SETTINGS
@given(data=st.data())
def test_application_form(client, draft, data):
    app, user = draft
    client.force_login(user)
    app.refresh_from_db()
    base = form_data(app)
    changes = data.draw(hostile_overrides(APPLICATION_FIELDS))
    action = data.draw(st.sampled_from(["save", "submit"]))
    before = (row_state(Application, app.pk), list(app.experts.values()))
    response = client.post(
        reverse("applications:edit", args=[app.pk]), {**base, **changes, "action": action}
    )
    assert_answered(response)
    app.refresh_from_db()
    if response.status_code == 200 and "未保存" in response.content.decode():
        assert (row_state(Application, app.pk), list(app.experts.values())) == before
    if app.state != "draft":  # a valid submission went through: put it back for the next one
        Application.objects.filter(pk=app.pk).update(state="draft")


# --- 附件2 -----------------------------------------------------------------------------------


ASSESSMENT_FIELDS = [
    *Assessment.CONTACT_FIELDS,
    "system_building",
    "flexible_talent",
    "activities",
    "funding_use",
    "three_year_plan",
    "applicant_opinion",
    "recommender",
]


@pytest.fixture
def assessment(db, call):
    item = AssessmentFactory(call=call)
    return item, UserFactory(organisation=item.unit)


@SETTINGS
@given(data=st.data())
def test_assessment_form(client, assessment, data):
    item, user = assessment
    client.force_login(user)
    item.refresh_from_db()
    base = {
        name: "" if getattr(item, name, None) is None else getattr(item, name)
        for name in ASSESSMENT_FIELDS
        if name != "recommender"
    }
    base.update(recommender=item.recommender_id or "", version=item.version)
    changes = data.draw(hostile_overrides(ASSESSMENT_FIELDS))
    before = row_state(Assessment, item.pk)
    action = data.draw(st.sampled_from(["save", "submit"]))
    response = client.post(
        reverse("bases:assessment_edit", args=[item.pk]), {**base, **changes, "action": action}
    )
    assert_answered(response)
    if response.status_code == 200 and "未保存" in response.content.decode():
        assert row_state(Assessment, item.pk) == before
    Assessment.objects.filter(pk=item.pk).update(state="draft")


# --- the bureau's forms -------------------------------------------------------------------------


@pytest.fixture
def bureau_user(db):
    return UserFactory(organisation=BureauFactory())


BASE_FIELDS = ["name", "host_unit", "level", "year_selected", *Assessment.CONTACT_FIELDS]


@SETTINGS
@given(data=st.data())
def test_base_registry_form(client, bureau_user, data):
    client.force_login(bureau_user)
    unit = UnitFactory()
    base = {
        "name": "测试基地",
        "host_unit": unit.pk,
        "level": "national",
        "year_selected": "2022",
        "host_types": ["research"],
        "own_experts": "3",
        "external_experts": "2",
    }
    changes = data.draw(hostile_overrides(BASE_FIELDS))
    count = Base.objects.count()
    response = client.post(reverse("bases:create"), {**base, **changes})
    assert_answered(response)
    if response.status_code == 200:
        assert Base.objects.count() == count


@pytest.fixture
def recommended(db, call):
    unit = UnitFactory()
    recommender = UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=recommender)
    return workflow.transition(app, "recommend", user=recommender, comment="同意")


@SETTINGS
@given(data=st.data())
def test_score_form(client, call, recommended, bureau_user, data):
    client.force_login(bureau_user)
    names = [f"criterion-{c.pk}" for c in call.criteria.all()]
    base = dict.fromkeys(names, "8")
    changes = data.draw(hostile_overrides([*names, "comment"]))
    before = list(ScoreSheet.objects.values())
    response = client.post(reverse("reviews:score", args=[recommended.pk]), {**base, **changes})
    assert_answered(response)
    if response.status_code == 200:
        assert list(ScoreSheet.objects.values()) == before


@SETTINGS
@given(data=st.data())
def test_quota_extension_and_funding_forms(client, call, recommended, bureau_user, data):
    client.force_login(bureau_user)
    district = recommended.recommender
    quota = {"organisation": district.pk, "quota": "2", "reason": "申报多"}
    changes = data.draw(hostile_overrides(quota))
    before = list(RecommenderQuota.objects.values())
    response = client.post(reverse("reviews:quotas"), {**quota, **changes})
    assert_answered(response)
    if response.status_code == 200:
        assert list(RecommenderQuota.objects.values()) == before

    extension = {"organisation": district.pk, "deadline": "2026-12-31T17:00", "reason": "系统故障"}
    changes = data.draw(hostile_overrides(extension))
    before = list(DeadlineExtension.objects.values())
    response = client.post(reverse("reviews:extensions"), {**extension, **changes})
    assert_answered(response)
    if response.status_code == 200:
        assert list(DeadlineExtension.objects.values()) == before

    funding = {"funding_granted": "10", "bureau_support": "2"}
    changes = data.draw(hostile_overrides(funding))
    before = row_state(Application, recommended.pk)
    response = client.post(
        reverse("reviews:funding", args=[recommended.pk]), {**funding, **changes}
    )
    assert_answered(response)  # the item is not yet a team: always refused
    assert row_state(Application, recommended.pk) == before


@SETTINGS
@given(data=st.data())
def test_workflow_action_forms(client, call, recommended, bureau_user, data):
    client.force_login(bureau_user)
    action = data.draw(st.sampled_from(["select_national", "decline", "select_municipal"]))
    fields = data.draw(hostile_overrides(["comment", "deadline"]))
    response = client.post(reverse("reviews:act", args=[recommended.pk, action]), fields)
    assert_answered(response)
    Application.objects.filter(pk=recommended.pk).update(state="recommended")


# --- filters, login and uploads -------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_list_filters(client, recommended, bureau_user, data):
    client.force_login(bureau_user)
    queue = data.draw(
        hostile_overrides(["state", "category", "field", "q", "recommender", "sort", "page"])
    )
    assert_answered(client.get(reverse("reviews:queue"), queue))
    audit = data.draw(hostile_overrides(["action", "outcome", "q", "since", "until", "page"]))
    assert_answered(client.get(reverse("reviews:audit"), audit))
    registry = data.draw(hostile_overrides(["level", "year"]))
    assert_answered(client.get(reverse("bases:list"), registry))


@SETTINGS
@given(username=HOSTILE, password=HOSTILE)
def test_login_form(client, db, username, password):
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.9.8.7"
    )
    assert response.status_code in (200, 429)
    reset()


@SETTINGS
@given(fingerprint=HOSTILE, name=HOSTILE)
def test_scan_upload_form(client, recommended, fingerprint, name):
    client.force_login(UserFactory(organisation=recommended.unit))
    count = AuditRecord.objects.filter(action="upload_scan").count()
    # The hostile file name goes over the wire as typed ("/", "..", NUL): Django's
    # SimpleUploadedFile would refuse to build such a file on the client side.
    upload = io.BytesIO(b"%PDF-1.4\n%%EOF")
    upload.name = (name or "x")[:100] or "x"
    response = client.post(
        reverse("reviews:upload_scan", args=[recommended.pk]),
        {"file": upload, "fingerprint": fingerprint},
    )
    assert_answered(response)
    assert AuditRecord.objects.filter(action="upload_scan").count() in (count, count + 1)


def test_dates_outside_the_calendar_are_refused_not_crashed(client, draft):
    app, user = draft
    client.force_login(user)
    data = form_data(app, start_date="2026-02-30", end_date="99999-01-01", action="save")
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert "开始时间" in page and "未保存" in page
    app.refresh_from_db()
    assert app.start_date == datetime.date(2026, 3, 1)
