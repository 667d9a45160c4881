"""评审专家: assignment, conflicts of interest, independent sheets, scoping, progress."""

import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import publication, reviewer_views, reviewers, scoring
from reviews.engine import workflow
from reviews.models import ReviewAssignment, ScoreSheet
from shanghai_experts.models import Organisation

from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture
def panel(db):
    org = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="市人社局评审专家组")
    return [
        UserFactory(organisation=org, username=f"expert{n}", first_name=f"专家{n}")
        for n in range(3)
    ]


@pytest.fixture
def bureau_user(db):
    return UserFactory(organisation=BureauFactory())


def recommended(call, **fields):
    unit = UnitFactory()
    district = UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit, **fields)
    workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    workflow.transition(app, "accept", user=district)
    return workflow.transition(app, "recommend", user=district, comment="同意")


def sheet_data(call, value, action="submit", version=None):
    data = {f"criterion-{c.pk}": value for c in call.criteria.all()}
    data["action"] = action
    if action == "submit":
        data["confirmed"] = "1"  # the confirmation page's post (tests/test_confirmations.py)
    if version is not None:
        data["version"] = str(version)
    return data


def test_a_reviewer_sees_only_assigned_items(client, call, panel, bureau_user):
    mine, theirs = recommended(call), recommended(call)
    reviewers.assign([mine], [panel[0]], user=bureau_user)
    reviewers.assign([theirs], [panel[1]], user=bureau_user)
    client.force_login(panel[0])
    listing = client.get(reverse("reviews:my_reviews")).content.decode()
    assert mine.name in listing and theirs.reference not in listing
    assert client.get(reverse("reviews:review", args=[mine.pk])).status_code == 200
    for url in (
        reverse("reviews:review", args=[theirs.pk]),
        reverse("reviews:review_pdf", args=[theirs.pk]),
        reverse("applications:detail", args=[mine.pk]),
        reverse("reviews:score", args=[mine.pk]),
        reverse("reviews:queue"),
        reverse("reviews:pdf", args=[mine.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_reviewer_sees_the_content_but_not_the_contacts_rank_or_others(
    client, call, panel, bureau_user
):
    app = recommended(call, mobile="13812345678")
    reviewers.assign([app], panel[:2], user=bureau_user)
    for reviewer in panel[:2]:
        reviewers.declare(
            ReviewAssignment.objects.get(application=app, reviewer=reviewer),
            user=reviewer,
            recuse=False,
        )
    client.force_login(panel[1])
    client.post(reverse("reviews:review", args=[app.pk]), sheet_data(call, "3"))
    client.force_login(panel[0])
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    assert app.service_content in page
    assert "138****5678" in page and "13812345678" not in page
    assert "推荐排序" not in page and "专家1" not in page and "30.00" not in page
    pdf = client.get(reverse("reviews:review_pdf", args=[app.pk])).content
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert app.name in text and "13812345678" not in text


def test_an_assignment_to_the_reviewers_own_unit_is_refused(call, panel, bureau_user):
    app = recommended(call)
    panel[0].affiliation = app.unit
    panel[0].save()
    made, refused = reviewers.assign([app], [panel[0], panel[1]], user=bureau_user)
    assert [a.reviewer for a in made] == [panel[1]]
    assert refused == [f"专家0的工作单位即申报单位“{app.unit}”，应当回避，不能分配。"]


def test_the_sheet_opens_only_after_a_declaration_and_recusal_closes_it(
    client, call, panel, bureau_user
):
    app = recommended(call)
    reviewers.assign([app], panel[:2], user=bureau_user)
    with pytest.raises(workflow.WorkflowError, match="请先声明"):
        scoring.record_scores(app, reviewer=panel[0], points={})
    client.force_login(panel[0])
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    assert "利益冲突声明" in page and 'data-testid="my-sheet"' not in page
    client.post(reverse("reviews:review", args=[app.pk]), {"action": "recuse", "confirmed": "1"})
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    assert "您已申请回避本项目" in page and app.service_content not in page
    assert client.get(reverse("reviews:review_pdf", args=[app.pk])).status_code == 404
    with pytest.raises(workflow.WorkflowError, match="回避"):
        scoring.record_scores(app, reviewer=panel[0], points={})


def test_scores_are_independent_and_the_mean_waits_for_every_sheet(
    client, call, panel, bureau_user
):
    app = recommended(call)
    reviewers.assign([app], panel[:2], user=bureau_user)
    for reviewer in panel[:2]:
        client.force_login(reviewer)
        client.post(reverse("reviews:review", args=[app.pk]), {"action": "declare"})
    client.force_login(panel[0])
    client.post(reverse("reviews:review", args=[app.pk]), sheet_data(call, "9"))
    app.refresh_from_db()
    assert (app.score_count, app.score_mean) == (1, None)
    client.force_login(panel[1])
    page = client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    assert "90.00" not in page
    client.force_login(bureau_user)
    listing = client.get(reverse("reviews:queue")).content.decode()
    assert "评审中（1人已交）" in listing
    client.force_login(panel[1])
    client.post(reverse("reviews:review", args=[app.pk]), sheet_data(call, "3"))
    app.refresh_from_db()
    assert (app.score_count, app.score_mean, app.score_spread) == (
        2,
        Decimal("60.00"),
        Decimal("60.00"),
    )
    # Still nothing of the other's score on either reviewer's page.
    assert "90.00" not in client.get(reverse("reviews:review", args=[app.pk])).content.decode()
    client.force_login(bureau_user)
    listing = client.get(reverse("reviews:queue")).content.decode()
    assert "60.00" in listing and "分歧大" in listing  # 60 > the call's threshold of 20


def test_a_submitted_sheet_is_final_until_the_bureau_reopens_it(client, call, panel, bureau_user):
    app = recommended(call)
    reviewers.assign([app], panel[:1], user=bureau_user)
    client.force_login(panel[0])
    url = reverse("reviews:review", args=[app.pk])
    client.post(url, {"action": "declare"})
    client.post(url, sheet_data(call, "8"))
    page = client.post(url, sheet_data(call, "2"), follow=True).content.decode()
    assert "评分表已提交，不能再修改" in page
    sheet = ScoreSheet.objects.get()
    assert sheet.total == Decimal("80.00")
    client.force_login(bureau_user)
    client.post(reverse("reviews:reopen_sheet", args=[sheet.pk]), {"reason": "请复核经费项"})
    client.force_login(panel[0])
    client.post(url, sheet_data(call, "6", version=ScoreSheet.objects.get().version))
    assert ScoreSheet.objects.get().total == Decimal("60.00")


def test_a_sheet_saved_from_a_stale_tab_is_refused(client, call, panel, bureau_user):
    app = recommended(call)
    reviewers.assign([app], panel[:1], user=bureau_user)
    client.force_login(panel[0])
    url = reverse("reviews:review", args=[app.pk])
    client.post(url, {"action": "declare"})
    # Two tabs opened on an empty sheet (version 0); the first saves a draft.
    client.post(url, sheet_data(call, "8", action="save", version=0))
    page = client.post(url, sheet_data(call, "2", action="save", version=0), follow=True)
    assert "评分表在您打开页面后已在别处保存过" in page.content.decode()
    assert ScoreSheet.objects.get().total == Decimal("80.00")


def test_bulk_assignment_by_field_spreads_the_load(client, call, panel, bureau_user):
    call.applications_per_unit = 5
    call.save()
    apps = [recommended(call, service_field="医疗卫生") for _ in range(3)]
    other = recommended(call, service_field="现代农业")
    client.force_login(bureau_user)
    response = client.post(
        reverse("reviews:assign") + "?field=医疗",
        {"scope": "field", "reviewers": [r.pk for r in panel], "per_item": "2"},
        follow=True,
    )
    assert "已分配 6 项评审任务" in response.content.decode()
    loads = sorted(ReviewAssignment.objects.filter(reviewer=r).count() for r in panel)
    assert loads == [2, 2, 2]
    assert not ReviewAssignment.objects.filter(application=other).exists()
    assert all(ReviewAssignment.objects.filter(application=a).count() == 2 for a in apps)
    page = client.get(reverse("reviews:progress")).content.decode()
    assert "专家0" in page and apps[0].name in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_reviewers_list_costs_the_same_whatever_its_length(
    client, call, panel, bureau_user, count, django_assert_num_queries
):
    call.applications_per_unit = 10
    call.save()
    apps = [recommended(call) for _ in range(count)]
    reviewers.assign(apps, panel[:1], user=bureau_user)
    client.force_login(panel[0])
    client.get(reverse("reviews:my_reviews"))  # warm the session
    for query in ("", "?sort=-assigned_at", "?sort=reference", "?status=pending"):
        # User with organisation, the four tabs' counts (one statement), the page, the call
        # (its 评审截止时间); the session comes from the cache (cached_db).
        with django_assert_num_queries(4):
            response = client.get(reverse("reviews:my_reviews") + query)
        assert response.content.decode().count('data-testid="review-status">待声明') == count
    # A search also counts what it found, and looks the matching units up first.
    with django_assert_num_queries(6):
        response = client.get(reverse("reviews:my_reviews") + "?q=服务团")
    assert response.content.decode().count('data-testid="review-status">待声明') == count


def test_the_reviewers_list_filters_searches_sorts_and_pages(
    client, call, panel, bureau_user, monkeypatch
):
    """Tabs count where the items stand; each tab, the search and the orders list what they
    say; 50 a page."""
    monkeypatch.setattr(reviewer_views, "PAGE_SIZE", 2)
    call.applications_per_unit = 10
    call.save()
    apps = [recommended(call, name=f"第{n}号服务团") for n in range(4)]
    reviewers.assign(apps, panel[:1], user=bureau_user)
    mine = {a.application_id: a for a in ReviewAssignment.objects.filter(reviewer=panel[0])}
    reviewers.declare(mine[apps[1].pk], user=panel[0], recuse=False)
    reviewers.declare(mine[apps[2].pk], user=panel[0], recuse=False)
    scoring.record_scores(
        apps[2], reviewer=panel[0], points={c.pk: Decimal(7) for c in call.criteria.all()}
    )
    reviewers.declare(mine[apps[3].pk], user=panel[0], recuse=True)
    client.force_login(panel[0])
    url = reverse("reviews:my_reviews")

    def names(query=""):
        page = client.get(url + query).content.decode()
        return [a.name for a in sorted(apps, key=lambda a: page.find(a.name)) if a.name in page]

    page = client.get(url).content.decode()
    for label, count in (
        ("全部", 4),
        ("待声明", 1),
        ("待评分", 1),
        ("已提交评分", 1),
        ("已回避", 1),
    ):
        assert f'{label}<span class="badge text-bg-secondary ms-1">{count}</span>' in page
    # What is left to do first: 待声明, 待评分, then 已提交评分, 已回避 (two a page here).
    assert names() == [apps[0].name, apps[1].name]
    assert "第 1 / 2 页，共 4 项" in page
    assert names("?page=2") == [apps[2].name, apps[3].name]
    assert names("?status=to_score") == [apps[1].name]
    assert names("?status=scored") == [apps[2].name]
    assert names("?status=recused") == [apps[3].name]
    assert names("?sort=reference") == [apps[0].name, apps[1].name]
    assert names("?sort=reference&page=2") == [apps[2].name, apps[3].name]
    assert names("?q=第3号") == [apps[3].name]
    unit_name = apps[1].unit.name
    assert apps[1].name in names(f"?q={unit_name}")
    # A reopened sheet is 待评分 again.
    sheet = ScoreSheet.objects.get(application=apps[2], reviewer=panel[0])
    scoring.reopen_sheet(sheet, user=bureau_user, reason="请复核")
    assert sorted(names("?status=to_score")) == sorted([apps[1].name, apps[2].name])
    # Hostile filters: a clear error naming the field, the list still shown.
    page = client.get(url + "?status=evil&sort=<script>").content.decode()
    assert "状态：" in page and "排序：" in page and "<script>" not in page
    # A bad sort leaves the chosen tab's filter in force.
    assert names("?status=recused&sort=evil") == [apps[3].name]


def test_reviewers_names_never_reach_the_unit_or_recommender(client, call, panel, bureau_user):

    app = recommended(call)
    reviewers.assign([app], panel[:1], user=bureau_user)
    reviewers.declare(ReviewAssignment.objects.get(), user=panel[0], recuse=False)
    scoring.record_scores(
        app, reviewer=panel[0], points={c.pk: Decimal(7) for c in call.criteria.all()}
    )
    workflow.transition(app, "select_municipal", user=bureau_user)
    publication.publish(call=call, stage="selection", user=bureau_user)
    for org in (app.unit, app.recommender):
        client.force_login(UserFactory(organisation=org))
        page = client.get(app.get_absolute_url()).content.decode()
        assert "专家0" not in page and "expert0" not in page and "70.00" not in page
        assert "列入市级服务团" in page


@pytest.mark.parametrize("url_name", ["reviews:assign", "reviews:progress", "reviews:publish"])
def test_the_bureaus_review_pages_cost_the_same_whatever_their_rows(
    client, call, panel, bureau_user, url_name
):

    call.applications_per_unit = call.recommender_quota = 10
    call.save()

    def decided(n):
        apps = [recommended(call) for _ in range(n)]
        reviewers.assign(apps, panel[:2], user=bureau_user)
        for app in apps:
            workflow.transition(app, "select_municipal", user=bureau_user)
        return apps

    decided(1)
    client.force_login(bureau_user)
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(url_name))
    decided(3)
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert len(four) == len(one), [q["sql"][:90] for q in four.captured_queries]
