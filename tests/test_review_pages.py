"""Recommender and bureau pages: scope, actions, queues and their query counts."""

import datetime
import html
import threading
from functools import partial

import pytest
from django.db import connection, connections
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from reviews.engine import services, workflow
from reviews.models import AuditRecord
from reviews.queries import QueueFilter
from reviews.views import queue as queue_views
from shanghai_experts import paging
from shanghai_experts.models import Organisation
from shanghai_experts.states import State

from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory
from .forms_data import form_data


@pytest.fixture
def setup(call):
    unit = UnitFactory()
    return {
        "unit": UserFactory(organisation=unit),
        "district": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory()),
        "stranger_unit": UserFactory(organisation=UnitFactory()),
        "stranger_district": UserFactory(organisation=UnitFactory().district),
    }


def submitted(call, setup):
    app = CompleteApplicationFactory(call=call, unit=setup["unit"].organisation)
    return workflow.transition(app, "submit", user=setup["unit"])


def test_recommender_accepts_returns_and_unit_resubmits(client, call, setup):
    app = submitted(call, setup)
    client.force_login(setup["district"])
    queue = client.get(reverse("reviews:queue")).content.decode()
    assert app.name in queue and "已提交，待推荐单位受理" in queue
    client.post(reverse("reviews:act", args=[app.pk, "accept"]))
    page = client.post(
        reverse("reviews:act", args=[app.pk, "return"]), {"comment": "请补充经费明细"}, follow=True
    ).content.decode()
    assert "已退回修改" in page
    client.force_login(setup["unit"])
    detail = client.get(app.get_absolute_url()).content.decode()
    assert "请补充经费明细" in detail and "继续填写" in detail
    app.refresh_from_db()
    data = form_data(app, name="修改后的服务团", action="submit")
    client.post(reverse("applications:edit", args=[app.pk]), data)
    app.refresh_from_db()
    client.post(
        reverse("applications:submit", args=[app.pk]), {"version": app.version, "pledge": "on"}
    )
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    detail = client.get(app.get_absolute_url()).content.decode()
    assert "与上一轮提交相比修改了：服务团名称" in detail


def test_recommend_writes_the_opinion_and_rank(client, call, setup):
    app = submitted(call, setup)
    client.force_login(setup["district"])
    client.post(reverse("reviews:act", args=[app.pk, "accept"]))
    client.post(reverse("reviews:act", args=[app.pk, "recommend"]), {"comment": "同意推荐"})
    app.refresh_from_db()
    assert (app.state, app.recommender_opinion, app.recommender_rank) == (
        State.RECOMMENDED,
        "同意推荐",
        1,
    )
    page = client.get(app.get_absolute_url()).content.decode()
    assert "同意推荐" in page and "推荐排序：第 1 位" in page


def test_refused_action_explains_itself(client, call, setup):
    app = submitted(call, setup)
    client.force_login(setup["district"])
    page = client.post(
        reverse("reviews:act", args=[app.pk, "recommend"]), {"comment": "x"}, follow=True
    ).content.decode()
    assert "未能推荐：当前状态为“已提交，待推荐单位受理”，不能执行“推荐”。" in page


def test_bulk_accept(client, call, setup):
    apps = [submitted(call, setup)]
    other = CompleteApplicationFactory(
        call=call, unit=UnitFactory(district=setup["district"].organisation)
    )
    apps.append(workflow.transition(other, "submit", user=UserFactory(organisation=other.unit)))
    client.force_login(setup["district"])
    page = client.post(
        reverse("reviews:queue"),
        {
            "bulk_action": "accept",
            "selected": [a.pk for a in apps],
            "confirmed": "1",  # the confirmation page's form (tests/test_confirmations.py)
            **{f"version-application-{a.pk}": a.version for a in apps},
        },
        follow=True,
    ).content.decode()
    assert "已受理 2 个项目。" in page
    assert set(Application.objects.values_list("state", flat=True)) == {State.UNDER_REVIEW}


def test_bureau_decides_and_records_funding(client, call, setup):
    app = submitted(call, setup)
    workflow.transition(app, "accept", user=setup["district"])
    workflow.transition(app, "recommend", user=setup["district"], comment="推荐")
    client.force_login(setup["bureau"])
    listing = client.get(reverse("reviews:queue")).content.decode()
    assert app.name in listing and "按推荐单位统计" in listing
    client.post(reverse("reviews:act", args=[app.pk, "select_municipal"]))
    page = client.post(
        reverse("reviews:funding", args=[app.pk]), {"funding_granted": "12"}, follow=True
    ).content.decode()
    assert "资助经费：市级服务团不超过 10 万元。" in page
    client.post(
        reverse("reviews:funding", args=[app.pk]), {"funding_granted": "10", "bureau_support": "2"}
    )
    app.refresh_from_db()
    assert (app.state, str(app.funding_granted), str(app.bureau_support)) == (
        State.MUNICIPAL_TEAM,
        "10.00",
        "2.00",
    )


WORKFLOW_URLS = [
    ("reviews:act", "accept"),
    ("reviews:act", "return"),
    ("reviews:act", "select_national"),
    ("reviews:funding", None),
    ("applications:detail", None),
]


@pytest.mark.parametrize(("name", "action"), WORKFLOW_URLS)
@pytest.mark.parametrize("who", ["stranger_unit", "stranger_district"])
def test_items_outside_scope_are_404(client, call, setup, name, action, who):
    app = submitted(call, setup)
    client.force_login(setup[who])
    args = [app.pk, action] if action else [app.pk]
    method = client.get if name == "applications:detail" else client.post
    assert method(reverse(name, args=args)).status_code == 404
    app.refresh_from_db()
    assert app.state == State.SUBMITTED


@pytest.mark.parametrize("who", ["unit", "stranger_unit"])
def test_units_have_no_queue(client, call, setup, who):
    client.force_login(setup[who])
    assert client.get(reverse("reviews:queue")).status_code == 404
    assert client.get(reverse("reviews:ranking")).status_code == 404
    assert client.get(reverse("reviews:extensions")).status_code == 404


def test_recommender_has_no_extension_page(client, call, setup):
    client.force_login(setup["district"])
    assert client.get(reverse("reviews:extensions")).status_code == 404


def submitted_to(call, district, n):
    """`n` applications submitted to `district`, each by a unit of its own."""
    for _ in range(n):
        unit = UnitFactory(district=district)
        app = CompleteApplicationFactory(call=call, unit=unit)
        workflow.transition(app, "submit", user=UserFactory(organisation=unit))


@pytest.mark.parametrize("who", ["district", "bureau"])
def test_queue_query_count_is_constant(client, call, setup, who):
    client.force_login(setup[who])
    add = partial(submitted_to, call, setup["district"].organisation)
    add(1)
    client.get(reverse("reviews:queue"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reviews:queue"))
    add(4)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("reviews:queue")).content.decode()
    assert page.count('data-testid="state">已提交，待推荐单位受理') == 5
    assert len(five) == len(one)
    assert len(one) <= 10


def winner_state(action):
    return {"return": State.RETURNED, "recommend": State.RECOMMENDED}[action]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_recommender_actions_at_once_never_lose_an_update(call):
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    first, second = UserFactory(organisation=unit.district), UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit)
    workflow.transition(app, "submit", user=unit_user)
    workflow.transition(app, "accept", user=first)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user, action):
        barrier.wait()
        try:
            workflow.transition(app, action, user=user, comment="并发")
            outcomes.append(action)
        except workflow.WorkflowError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(first, "return")),
        threading.Thread(target=act, args=(second, "recommend")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.refresh_from_db()
    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    winner = next(o for o in outcomes if o != "refused")
    assert app.state == winner_state(winner)
    assert AuditRecord.objects.filter(object_id=app.pk, outcome="success").count() == 3
    refused = AuditRecord.objects.get(object_id=app.pk, outcome="refused")
    assert refused.from_state == winner_state(winner) and refused.actor in (first, second)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_unit_saving_while_recommender_returns_is_refused_not_lost(client, call):
    unit = UnitFactory()
    unit_user = UserFactory(organisation=unit)
    district_user = UserFactory(organisation=unit.district)
    app = CompleteApplicationFactory(call=call, unit=unit, state=State.RETURNED)
    stale = form_data(app, name="单位的修改", action="save")
    workflow.transition(app, "submit", user=unit_user)
    workflow.transition(app, "return", user=district_user, comment="再改")
    client.force_login(unit_user)
    page = client.post(reverse("applications:edit", args=[app.pk]), stale).content.decode()
    assert "本申报已在别处保存过或状态已变化" in page and 'value="单位的修改"' in page
    app.refresh_from_db()
    assert app.state == State.RETURNED and app.name != "单位的修改"


SORTS = ["", "-submitted_at", "name", "-score_mean", "-score_spread", "priority"]


@pytest.mark.parametrize("who", ["district", "bureau"])
@pytest.mark.parametrize(
    "query",
    [{"sort": s} for s in SORTS]
    + [{"q": "服务团"}, {"q": "医院"}, {"field": "医疗"}, {"state": "submitted"}]
    + [{"category": "national"}, {"priority": "on"}, {"paper": "received"}]
    + [{"state": "published:municipal_team"}, {"category": "assessment"}],
    ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "default",
)
def test_every_sort_and_search_costs_the_same_whatever_the_rows(client, call, setup, who, query):
    client.force_login(setup[who])
    add = partial(submitted_to, call, setup["district"].organisation)
    add(1)
    client.get(reverse("reviews:queue"), query)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reviews:queue"), query)
    add(3)
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse("reviews:queue"), query)
    assert response.status_code == 200
    assert len(four) == len(one) <= 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_the_search_uses_the_trigram_indexes(call, setup):
    """The search condition of the lists (名称或单位) is answered from the trigram indexes."""
    unit = UnitFactory(district=setup["district"].organisation, name="上海市内分泌研究医院")
    Application.objects.bulk_create(
        Application(call=call, unit=unit, recommender=unit.district, name=f"第{i}服务团")
        for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application")
        cursor.execute("ANALYZE shanghai_experts_organisation")
    for model, condition, index in (
        (Application, QueueFilter()._named("内分泌", "name"), "application_name_trgm"),
        (Organisation, Q(name__icontains="内分泌"), "organisation_name_trgm"),
    ):
        query = model.objects.filter(condition).order_by().values("pk").query
        sql, params = query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test's tables are small
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan, plan


def _next_link(page: str) -> str:
    anchor = page.split("下一页</a>")[0].rsplit("<a ", 1)[1]
    return html.unescape(anchor.split('href="')[1].split('"')[0])


def test_the_pager_links_reach_the_next_page_with_the_filters_kept(
    client, call, setup, monkeypatch
):
    """下一页 keeps the list's filters and sort and opens page 2 (a link that doubled its
    '?' once lost them and reopened page 1)."""
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 1)
    call.applications_per_unit = 5
    call.save()
    items = sorted([submitted(call, setup), submitted(call, setup)], key=lambda a: (a.name, a.pk))
    client.force_login(setup["district"])
    page = client.get(reverse("reviews:queue"), {"sort": "name"}).content.decode()
    assert items[0].reference in page and items[1].reference not in page
    link = _next_link(page)
    assert link.startswith("?") and not link.startswith("??")
    assert "sort=name" in link and "page=2" in link
    following = client.get(reverse("reviews:queue") + link).content.decode()
    assert "第 2 / 2 页，共 2 项" in following
    assert items[1].reference in following and items[0].reference not in following
    # The tabs keep the filters too, without the page.
    tab = html.unescape(following.split('data-testid="tabs"')[1].split('href="')[1].split('"')[0])
    assert tab.startswith("?") and "sort=name" in tab and "page" not in tab


def test_long_lists_count_up_to_the_cap_and_say_so(client, call, setup, monkeypatch):
    """Past COUNT_CAP a list counts no further: its tab and pager say "2+" and ask for a
    filter, its pages stop at the cap, and the bureau's totals line still gives the exact
    figure."""
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    call.applications_per_unit = 5
    call.save()
    for _ in range(3):
        submitted(call, setup)
    client.force_login(setup["district"])
    page = client.get(reverse("reviews:queue")).content.decode()
    assert '服务团申报（附件1）<span class="badge text-bg-secondary ms-1">2+</span>' in page
    assert "共 2+ 项（仅列出前 2 项，请用筛选缩小范围）" in page
    client.force_login(setup["bureau"])
    page = client.get(reverse("reviews:queue")).content.decode()
    assert "合计（筛选结果）：2+ 项" in page
    line = client.get(reverse("reviews:totals"), {"fragment": "1"}).content.decode()
    assert "合计（筛选结果）：3 项" in line


def test_a_bad_filter_value_is_named_and_the_others_stay_in_force(client, call, setup):
    """A sort typed into the address (or an old link) is named in Chinese and ignored; the
    state chosen beside it still filters the list."""
    call.applications_per_unit = 5
    call.save()
    waiting, accepted = submitted(call, setup), submitted(call, setup)
    workflow.transition(accepted, "accept", user=setup["district"])
    client.force_login(setup["district"])
    page = client.get(
        reverse("reviews:queue"), {"sort": "<b>evil</b>", "state": State.UNDER_REVIEW}
    ).content.decode()
    errors = page.split('data-testid="filter-errors"')[1].split("</div></div>")[0]
    assert "排序：" in errors and "此条件未生效" in errors and "<b>evil" not in page
    assert accepted.reference in page and waiting.reference not in page
    assert (
        'data-testid="filter-errors"' not in client.get(reverse("reviews:queue")).content.decode()
    )


def test_the_queue_shows_the_deadline_that_binds_its_reader(client, call, setup):
    """本单位截止 is the recommenders' deadline, or the one the bureau extended for this
    office; another office's extension changes nothing for it."""

    def shown(user):
        client.force_login(user)
        page = client.get(reverse("reviews:queue")).content.decode()
        return page.split("本单位截止 ")[1][:16]

    local = timezone.localtime
    assert shown(setup["district"]) == f"{local(call.recommender_deadline):%Y-%m-%d %H:%M}"
    later = call.recommender_deadline + datetime.timedelta(days=3)
    services.grant_extension(
        call=call,
        organisation=setup["stranger_district"].organisation,
        deadline=later,
        reason="材料补正",
        user=setup["bureau"],
    )
    assert shown(setup["district"]) == f"{local(call.recommender_deadline):%Y-%m-%d %H:%M}"
    assert shown(setup["stranger_district"]) == f"{local(later):%Y-%m-%d %H:%M}"
