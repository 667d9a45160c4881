"""The bureau's scoring: criteria per call, several reviewers, mean and spread in the list."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import scoring
from reviews.engine import workflow
from reviews.models import AuditRecord, ScoreSheet
from shanghai_experts.states import State

from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture
def bureau_org(db):
    return BureauFactory()


@pytest.fixture
def reviewers(bureau_org):
    return [UserFactory(organisation=bureau_org) for _ in range(3)]


def recommended(call, name="服务团"):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit, name=name)
    district = UserFactory(organisation=unit.district)
    app = workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    app = workflow.transition(app, "accept", user=district)
    return workflow.transition(app, "recommend", user=district, comment="同意推荐")


def post_scores(client, app, values, comment=""):
    criteria = list(app.call.criteria.all())
    data = {f"criterion-{c.pk}": v for c, v in zip(criteria, values, strict=True)}
    data["comment"] = comment
    return client.post(reverse("reviews:score", args=[app.pk]), data, follow=True)


def test_a_new_call_has_the_default_criteria(call):
    names = list(call.criteria.values_list("name", "weight", "max_points"))
    assert names == [
        ("需求精准度", 20, 10),
        ("方案可行性", 25, 10),
        ("专家力量", 25, 10),
        ("预期成效", 20, 10),
        ("经费合理性", 10, 10),
    ]


def test_weighted_total_is_the_share_of_full_marks(call):
    criteria = list(call.criteria.all())
    full = {c.pk: Decimal(c.max_points) for c in criteria}
    assert scoring.weighted_total(criteria, full) == Decimal("100.00")
    # Half marks everywhere but full marks on the 10% item: 50 + 5.
    points = {c.pk: Decimal(5) for c in criteria}
    points[criteria[-1].pk] = Decimal(10)
    assert scoring.weighted_total(criteria, points) == Decimal("55.00")


def test_three_reviewers_give_mean_and_spread_in_the_bureau_list(client, call, reviewers):
    app = recommended(call, "张江集成电路服务团")
    for reviewer, values in zip(
        reviewers,
        [["10", "10", "10", "10", "10"], ["8", "8", "8", "8", "8"], ["6", "6", "6", "6", "6"]],
        strict=True,
    ):
        client.force_login(reviewer)
        page = post_scores(client, app, values, comment="方案扎实").content.decode()
        assert "评分已保存。" in page
    app.refresh_from_db()
    assert (app.score_count, app.score_mean, app.score_spread) == (
        3,
        Decimal("80.00"),
        Decimal("40.00"),
    )
    page = client.get(reverse("reviews:score", args=[app.pk])).content.decode()
    assert "均分 <strong>80.00</strong> · 极差 40.00 · 3 人评分" in page
    assert page.count("意见：方案扎实") == 3
    listing = client.get(reverse("reviews:queue")).content.decode()
    assert "80.00" in listing and "（3人）" in listing and "40.00" in listing
    assert AuditRecord.objects.filter(action="score", object_id=app.pk).count() == 3


def test_a_reviewer_revises_their_own_sheet_not_a_second_one(client, call, reviewers):
    app = recommended(call)
    client.force_login(reviewers[0])
    post_scores(client, app, ["5"] * 5)
    post_scores(client, app, ["9"] * 5)
    assert ScoreSheet.objects.filter(application=app).count() == 1
    app.refresh_from_db()
    assert (app.score_mean, app.score_spread, app.score_count) == (
        Decimal("90.00"),
        Decimal("0.00"),
        1,
    )
    page = client.get(reverse("reviews:score", args=[app.pk])).content.decode()
    assert 'value="9"' in page  # the form shows what this reviewer gave


def test_bad_points_name_the_criterion_and_keep_the_typed_values(client, call, reviewers):
    app = recommended(call)
    client.force_login(reviewers[0])
    page = post_scores(client, app, ["11", "abc", "", "7.25", "8"], "草稿意见").content.decode()
    assert "评分未保存" in page
    assert "需求精准度：得分应在 0 到 10 之间。" in page
    assert "方案可行性：请输入数字" in page
    assert "专家力量：请填写得分。" in page
    assert "预期成效：最多保留 1 位小数。" in page
    assert 'value="abc"' in page and 'value="7.25"' in page and "草稿意见" in page
    assert not ScoreSheet.objects.exists()


def test_the_list_sorts_by_mean_with_unscored_last(client, call, reviewers):
    low, high, unscored = recommended(call, "低分团"), recommended(call, "高分团"), None
    unscored = recommended(call, "未评分团")
    client.force_login(reviewers[0])
    post_scores(client, low, ["3"] * 5)
    post_scores(client, high, ["9"] * 5)
    page = client.get(reverse("reviews:queue"), {"sort": "-score_mean"}).content.decode()
    assert page.index("高分团") < page.index("低分团") < page.index(unscored.name)


def test_only_the_bureau_scores_and_only_once_recommended(client, call, reviewers):
    app = recommended(call)
    district = UserFactory(organisation=app.recommender)
    client.force_login(district)
    assert client.get(reverse("reviews:score", args=[app.pk])).status_code == 404
    assert client.post(reverse("reviews:score", args=[app.pk]), {}).status_code == 404
    unit = UnitFactory()
    draft_sub = CompleteApplicationFactory(call=call, unit=unit)
    draft_sub = workflow.transition(draft_sub, "submit", user=UserFactory(organisation=unit))
    client.force_login(reviewers[0])
    page = client.get(reverse("reviews:score", args=[draft_sub.pk])).content.decode()
    assert "不能评分" in page and "保存评分" not in page
    with pytest.raises(workflow.WorkflowError, match="不能评分"):
        scoring.record_scores(
            draft_sub,
            reviewer=reviewers[0],
            points={c.pk: Decimal(5) for c in call.criteria.all()},
        )
    with pytest.raises(workflow.WorkflowError, match="只有市人社局"):
        scoring.record_scores(
            app, reviewer=district, points={c.pk: Decimal(5) for c in call.criteria.all()}
        )
    assert draft_sub.state == State.SUBMITTED


def test_score_page_query_count_does_not_grow_with_reviewers(client, call, reviewers):
    app = recommended(call)
    client.force_login(reviewers[0])
    post_scores(client, app, ["5"] * 5)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reviews:score", args=[app.pk]))
    for reviewer in reviewers[1:]:
        client.force_login(reviewer)
        post_scores(client, app, ["6"] * 5)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("reviews:score", args=[app.pk]))
    assert len(one) == len(three)


def test_bureau_summary_counts_per_recommender(client, call, reviewers):
    first = recommended(call, "甲服务团")
    recommended(call, "乙服务团")
    unit = UnitFactory(district=first.recommender)
    pending = CompleteApplicationFactory(call=call, unit=unit)
    workflow.transition(pending, "submit", user=UserFactory(organisation=unit))
    client.force_login(reviewers[0])
    page = client.get(reverse("reviews:summary")).content.decode()
    row = page[page.index(str(first.recommender)) :]
    row = row[: row.index("</tr>")]
    cells = [c.split("<")[0] for c in row.split('class="text-end">')[1:]]
    assert cells == ["2", "2", "0", "1"]  # total, national, municipal, recommended
    assert "<td>合计</td>" in page
    client.force_login(UserFactory(organisation=first.recommender))
    assert client.get(reverse("reviews:summary")).status_code == 404
