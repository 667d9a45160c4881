"""The bureau's own pages (quotas), and who may reach each workflow and export URL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.engine import workflow
from reviews.models import AuditRecord
from shanghai_experts.models import RecommenderQuota

from .downloads import counted, job_file
from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture
def district(db):
    return UnitFactory().district


def recommended(call, district, name="服务团"):
    unit = UnitFactory(district=district)
    recommender = UserFactory(organisation=district)
    app = CompleteApplicationFactory(call=call, unit=unit, name=name)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=recommender)
    return workflow.transition(app, "recommend", user=recommender, comment="同意")


def test_bureau_raises_a_quota_and_the_recommender_can_use_it(client, call, district):
    recommended(call, district, "第一个")
    bureau = UserFactory(organisation=BureauFactory())
    client.force_login(bureau)
    page = client.get(reverse("reviews:quotas")).content.decode()
    assert str(district) in page
    client.post(
        reverse("reviews:quotas"),
        {"organisation": district.pk, "quota": "2", "reason": "本区申报数量多"},
    )
    assert RecommenderQuota.objects.get(organisation=district).quota == 2
    assert AuditRecord.objects.filter(action="quota").exists()
    assert call.quota_for(district) == 2
    second = recommended(call, district, "第二个")
    assert second.state == "recommended"


def test_quota_errors_are_named_and_input_kept(client, call, district):
    recommended(call, district)
    client.force_login(UserFactory(organisation=BureauFactory()))
    page = client.post(
        reverse("reviews:quotas"), {"organisation": district.pk, "quota": "两", "reason": "多"}
    ).content.decode()
    assert "请输入整数，例如 2。" in page
    page = client.post(
        reverse("reviews:quotas"), {"organisation": district.pk, "quota": "1", "reason": ""}
    ).content.decode()
    assert "这个字段是必填项" in page or "此项为必填项" in page
    RecommenderQuota.objects.create(call=call, organisation=district, quota=3, reason="x")
    recommended(call, district, "第二个")
    page = client.post(
        reverse("reviews:quotas"), {"organisation": district.pk, "quota": "1", "reason": "收回"}
    ).content.decode()
    assert "已推荐 2 个服务团，名额不能少于 2 个。" in page and "收回" in page


@pytest.mark.parametrize(
    "name",
    ["reviews:quotas", "reviews:summary", "reviews:extensions"],
)
def test_bureau_pages_are_404_for_others(client, call, district, name):
    for org in (district, UnitFactory()):
        client.force_login(UserFactory(organisation=org))
        assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("reviews:export", "get"),
        ("reviews:zip", "get"),
        ("reviews:queue", "get"),
        ("reviews:ranking", "get"),
    ],
)
def test_units_have_no_list_exports(client, call, name, method):
    client.force_login(UserFactory(organisation=UnitFactory()))
    assert getattr(client, method)(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    "name", ["reviews:score", "reviews:pdf", "reviews:funding", "reviews:upload_scan"]
)
def test_item_urls_are_404_outside_scope(client, call, district, name):
    app = recommended(call, district)
    for org in (UnitFactory(), UnitFactory().district):
        client.force_login(UserFactory(organisation=org))
        response = client.post(reverse(name, args=[app.pk]))
        assert response.status_code == 404, (name, org)
        if name in ("reviews:score", "reviews:pdf"):
            assert client.get(reverse(name, args=[app.pk])).status_code == 404


def test_zip_query_count_is_constant(client, call, district):
    call.recommender_quota = 10
    call.save()
    recommender = UserFactory(organisation=district)
    recommended(call, district)
    client.force_login(recommender)
    job_file(client, client.get(reverse("reviews:zip")))  # warm the caches
    with CaptureQueriesContext(connection) as one:
        job_file(client, client.get(reverse("reviews:zip")))
    for i in range(4):
        recommended(call, district, f"团{i}")
    job_file(client, client.get(reverse("reviews:zip")))  # the new forms rendered once
    with CaptureQueriesContext(connection) as five:
        job_file(client, client.get(reverse("reviews:zip")))
    assert counted(one) == counted(five)
