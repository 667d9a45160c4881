"""Bounds on what anyone can send, and the answers that replace a server error."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error
from PIL import Image

from applications.models import Application
from reviews.documents import printing, scans
from reviews.engine import workflow
from reviews.models import AuditRecord, StampedScan
from shanghai_experts.models import DeadlineExtension
from shanghai_experts.states import State
from shanghai_experts.text import parse_ids
from shanghai_experts.validators import money_problem

from .downloads import served
from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data


@pytest.fixture
def submitted(call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


@pytest.fixture
def bureau_user(db):
    return UserFactory(organisation=BureauFactory())


def municipal_team(app):
    district = UserFactory(organisation=app.recommender)
    workflow.transition(app, "accept", user=district)
    workflow.transition(app, "recommend", user=district, comment="推荐")
    bureau = UserFactory(organisation=BureauFactory())
    return workflow.transition(app, "select_municipal", user=bureau), bureau


# --- request bodies ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_body_is_refused_before_it_is_read(client, submitted, monkeypatch):
    read = []
    monkeypatch.setattr(
        "django.http.multipartparser.MultiPartParser.parse",
        lambda self: read.append(1) or ({}, {}),
    )
    response = client.post(
        reverse("reviews:upload_scan", args=[submitted.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 100_000)},
    )
    assert response.status_code == 403
    assert "请先登录，再提交内容" in response.content.decode()
    assert read == []  # the multipart body was never parsed (nor spooled to disk)


@pytest.mark.django_db
def test_the_login_form_still_takes_a_body(client):
    UserFactory(username="ruijin")
    response = client.post(reverse("login"), {"username": "ruijin", "password": "wrong"})
    assert response.status_code == 200 and "请输入一个正确的" in response.content.decode()


@pytest.mark.django_db
def test_a_body_declared_too_large_is_refused_unread(client, submitted, settings):
    client.force_login(UserFactory(organisation=submitted.unit))
    response = client.generic(
        "POST",
        reverse("reviews:upload_scan", args=[submitted.pk]),
        b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.content.decode()


@pytest.mark.django_db
def test_an_upload_past_the_limit_stops_while_it_streams(client, submitted, settings, monkeypatch):
    settings.SCAN_MAX_BYTES = 64 * 1024
    written = []
    original = scans.StampedScan.file.field.storage.__class__._save
    monkeypatch.setattr(
        scans.StampedScan.file.field.storage.__class__,
        "_save",
        lambda self, name, content: written.append(name) or original(self, name, content),
    )
    client.force_login(UserFactory(organisation=submitted.unit))
    page = client.post(
        reverse("reviews:upload_scan", args=[submitted.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024))},
        follow=True,
    ).content.decode()
    assert "文件过大，扫描件不超过 64 KB" in page
    assert written == [] and StampedScan.objects.count() == 0


@pytest.mark.django_db
def test_an_item_keeps_a_bounded_number_of_scans(client, submitted, settings):
    settings.SCAN_MAX_VERSIONS = 2
    client.force_login(UserFactory(organisation=submitted.unit))
    pdf = printing.form_pdf(submitted)
    for n in range(3):
        page = client.post(
            reverse("reviews:upload_scan", args=[submitted.pk]),
            {"file": SimpleUploadedFile(f"scan{n}.pdf", pdf)},
            follow=True,
        ).content.decode()
    assert "每份材料最多保留 2 个扫描件版本，已达上限" in page
    assert StampedScan.objects.count() == 2


@pytest.mark.django_db
def test_an_image_claiming_huge_dimensions_is_refused_undecoded(client, submitted):
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    # Rewrite the IHDR width and height to 30000 × 30000 (its CRC no longer matters: the
    # header is refused before any check of the pixels).
    data[16:24] = (30000).to_bytes(4, "big") * 2
    client.force_login(UserFactory(organisation=submitted.unit))
    page = client.post(
        reverse("reviews:upload_scan", args=[submitted.pk]),
        {"file": SimpleUploadedFile("bomb.png", bytes(data))},
        follow=True,
    ).content.decode()
    assert "图片文件已损坏或不完整" in page
    assert StampedScan.objects.count() == 0


# --- values that used to be server errors ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Infinity", "资助经费：请输入有限的金额（万元），例如 12.5。"),
        ("NaN", "资助经费：请输入有限的金额（万元），例如 12.5。"),
        ("1e30", "资助经费：金额过大，请以万元为单位填写。"),
        ("9" * 100, "资助经费：金额过大，请以万元为单位填写。"),
        ("1.234", "资助经费：金额以万元为单位，最多保留 2 位小数。"),
        ("-1", "资助经费：金额不能为负数。"),
    ],
)
def test_funding_refuses_what_the_column_cannot_hold(client, submitted, typed, message):
    app, bureau = municipal_team(submitted)
    client.force_login(bureau)
    page = client.post(
        reverse("reviews:funding", args=[app.pk]), {"funding_granted": typed}, follow=True
    ).content.decode()
    assert message in page
    assert Application.objects.get(pk=app.pk).funding_granted is None


@pytest.mark.django_db
def test_support_refuses_infinity_too(client, submitted):
    app, bureau = municipal_team(submitted)
    client.force_login(bureau)
    page = client.post(
        reverse("reviews:funding", args=[app.pk]),
        {"funding_granted": "5", "bureau_support": "Infinity"},
        follow=True,
    ).content.decode()
    assert "配套支持：请输入有限的金额（万元）" in page
    assert Application.objects.get(pk=app.pk).funding_granted is None


def test_ids_are_ascii_digits_that_fit_the_column():
    assert parse_ids(["12", "²", "１", "-3", "9" * 19, " 7 ", ""]) == [12, 7]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["selected", "selected_assessments"])
def test_bulk_accept_and_zip_ignore_odd_ids(client, submitted, name):
    district = UserFactory(organisation=submitted.recommender)
    client.force_login(district)
    response = client.post(
        reverse("reviews:queue"), {"action": "accept", name: ["²", "9" * 30, str(submitted.pk)]}
    )
    assert response.status_code == 302
    response = client.get(reverse("reviews:zip"), {name: ["²", "9" * 30]})
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_recommender_cannot_sort_by_the_bureaus_scores_or_priority(client, submitted):
    client.force_login(UserFactory(organisation=submitted.recommender))
    for sort in ("priority", "-score_mean", "-score_spread"):
        response = client.get(reverse("reviews:queue"), {"sort": sort})
        assert response.status_code == 200
        page = response.content.decode()
        assert "优先支持在前" not in page and "评审均分" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_an_extension_far_from_the_calls_year_is_refused(client, call, bureau_user, typed):
    district = UnitFactory().district
    client.force_login(bureau_user)
    response = client.post(
        reverse("reviews:extensions"),
        {"organisation": district.pk, "deadline": typed, "reason": "系统故障"},
    )
    assert response.status_code == 200
    assert "日期应在 2024 年至 2028 年之间" in response.content.decode()
    assert DeadlineExtension.objects.count() == 0
    # The district's pages still work.
    client.force_login(UserFactory(organisation=district))
    assert client.get(reverse("reviews:queue")).status_code == 200


@pytest.mark.django_db
def test_service_dates_far_from_the_calls_year_are_refused_and_the_typing_kept(client, call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    data = form_data(app, start_date="0001-01-01", name="保留的名称")
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert "日期应在 2024 年至 2028 年之间" in page and "保留的名称" in page
    assert Application.objects.get(pk=app.pk).start_date.year == 2026


@pytest.mark.django_db
def test_draft_texts_are_bounded(client, call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    client.force_login(UserFactory(organisation=unit))
    data = form_data(app, service_content="字" * 100_000)
    page = client.post(reverse("applications:edit", args=[app.pk]), data).content.decode()
    assert "内容过长（最多 10000 字）" in page
    assert Application.objects.get(pk=app.pk).service_content == app.service_content


# --- smaller findings ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_action_is_a_404_and_writes_no_audit_row(client, submitted):
    client.force_login(UserFactory(organisation=submitted.recommender))
    before = AuditRecord.objects.count()
    response = client.post(reverse("reviews:act", args=[submitted.pk, "no-such-action"]))
    assert response.status_code == 404
    assert AuditRecord.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["bureau", "recommender"])
def test_drafts_stay_private(client, call, role):
    assessment = AssessmentFactory(call=call)
    application = CompleteApplicationFactory(call=call, unit=assessment.unit)
    org = BureauFactory() if role == "bureau" else assessment.recommender
    client.force_login(UserFactory(organisation=org))
    assert client.get(reverse("bases:assessment", args=[assessment.pk])).status_code == 404
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("reviews:assessment_pdf", args=[assessment.pk])).status_code == 404


@pytest.mark.django_db
def test_the_bureau_sees_that_an_assessment_is_a_draft_without_opening_it(client, call):
    assessment = AssessmentFactory(call=call)
    client.force_login(UserFactory(organisation=BureauFactory()))
    page = client.get(reverse("bases:list")).content.decode()
    assert assessment.base.name in page and "草稿" in page
    assert assessment.get_absolute_url() not in page


@pytest.mark.django_db
def test_a_password_may_not_contain_the_login_name_or_the_unit():
    user = UserFactory(username="fudan", organisation=UnitFactory(short_name="复旦大学"))
    for password in ("Fudan@2026", "复旦大学@2026Ab"):
        with pytest.raises(ValidationError) as refused:
            validate_password(password, user)
        assert any("密码不能包含" in m for m in refused.value.messages)
    validate_password("Qx7#mountain", user)


# --- headers and error pages -------------------------------------------------------------------


@pytest.mark.django_db
def test_personal_data_is_never_cached(client, submitted, bureau_user):
    client.force_login(UserFactory(organisation=submitted.unit))
    client.post(
        reverse("reviews:upload_scan", args=[submitted.pk]),
        {"file": SimpleUploadedFile("s.pdf", printing.form_pdf(submitted))},
    )
    scan = StampedScan.objects.get()
    for url in (
        submitted.get_absolute_url(),
        reverse("reviews:pdf", args=[submitted.pk]),
        reverse("reviews:scan", args=[scan.pk]),
        reverse("home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
    client.force_login(bureau_user)
    for url in (reverse("reviews:export"), reverse("reviews:audit"), reverse("reviews:queue")):
        response = served(client.get(url))
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


@pytest.mark.django_db
def test_error_pages_are_chinese(client, settings):
    client.force_login(UserFactory())
    page = client.get("/no-such-page/").content.decode()
    assert "页面不存在" in page and "返回首页" in page


@pytest.mark.django_db
def test_the_500_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "系统暂时出错" in response.content.decode()


def test_money_problem_takes_decimals_only_as_the_column_does():
    assert money_problem(Decimal("999999.99"), "x") is None
    assert money_problem(Decimal("1000000"), "x") == "x：金额过大，请以万元为单位填写。"
    assert State.DRAFT == "draft"
