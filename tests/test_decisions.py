"""Confirmation, reasons, corrections, stale pages, bulk decisions, recommender filters and
the direct 特贴 route."""

import pytest
from django.urls import reverse

from applications.models import Application
from reviews.engine import services, workflow
from shanghai_experts.states import State

from .factories import (
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture
def bureau(db):
    return UserFactory(organisation=BureauFactory())


def submitted(call, unit=None, **fields):
    unit = unit or UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit, **fields)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


def recommended(call, **fields):
    app = submitted(call, **fields)
    district = UserFactory(organisation=app.recommender)
    workflow.transition(app, "accept", user=district)
    return workflow.transition(app, "recommend", user=district, comment="同意")


def test_an_action_is_confirmed_on_its_own_page(client, call):
    app = submitted(call)
    client.force_login(UserFactory(organisation=app.recommender))
    detail = client.get(app.get_absolute_url()).content.decode()
    url = reverse("reviews:act", args=[app.pk, "accept"])
    assert (
        f'href="{url}"' in detail and "<form" not in detail.split('data-testid="actions"')[1][:300]
    )
    page = client.get(url).content.decode()
    assert "确认：受理" in page and "受理后申报单位不能再撤回" in page
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED  # a GET changes nothing
    client.post(url, {"version": app.version})
    assert Application.objects.get(pk=app.pk).state == State.UNDER_REVIEW


def test_a_negative_decision_needs_a_reason_and_keeps_what_was_typed(client, call, bureau):
    app = recommended(call)
    client.force_login(bureau)
    url = reverse("reviews:act", args=[app.pk, "decline"])
    page = client.post(url, {"comment": "  ", "version": app.version}).content.decode()
    assert "未能不予入选：“不予入选”须填写意见。" in page
    assert Application.objects.get(pk=app.pk).state == State.RECOMMENDED
    page = client.post(url, {"comment": "", "version": "x"}).content.decode()
    assert "确认：不予入选" in page


def test_an_action_from_a_stale_page_is_refused(client, call):
    app = submitted(call)
    seen = app.version
    district = UserFactory(organisation=app.recommender)
    workflow.transition(app, "accept", user=district)  # a colleague acted first
    client.force_login(UserFactory(organisation=app.recommender))
    page = client.post(
        reverse("reviews:act", args=[app.pk, "return"]),
        {"comment": "请补充", "version": seen},
    ).content.decode()
    assert "您打开页面后，本项目已被他人处理（当前状态：推荐单位审核中）" in page
    assert "请补充" in page  # the typed reason is still in the box
    assert Application.objects.get(pk=app.pk).state == State.UNDER_REVIEW


def test_the_unit_withdraws_before_acceptance_and_keeps_everything(client, call):
    app = submitted(call)
    client.force_login(UserFactory(organisation=app.unit))
    client.post(reverse("reviews:act", args=[app.pk, "withdraw"]), {"version": app.version})
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.state == State.DRAFT
    assert (fresh.name, fresh.service_content) == (app.name, app.service_content)


def test_a_withdrawn_recommendation_frees_the_quota_place(call):
    first = recommended(call)
    second = submitted(call, unit=UnitFactory(district=first.recommender))
    district = UserFactory(organisation=first.recommender)
    workflow.transition(second, "accept", user=district)
    with pytest.raises(workflow.WorkflowError, match="推荐名额已满"):
        workflow.transition(second, "recommend", user=district, comment="同意")
    first = workflow.transition(
        first, "withdraw_recommendation", user=district, comment="改推另一项"
    )
    assert (first.state, first.recommender_rank) == (State.UNDER_REVIEW, None)
    second = workflow.transition(second, "recommend", user=district, comment="同意")
    assert (second.state, second.recommender_rank) == (State.RECOMMENDED, 1)


def test_bulk_decisions_report_each_item(client, call, bureau):
    call.applications_per_unit = call.recommender_quota = 5
    call.save()
    ready = [recommended(call) for _ in range(2)]
    decided = workflow.transition(recommended(call), "select_national", user=bureau)
    client.force_login(bureau)
    listing = client.get(reverse("reviews:queue")).content.decode()
    assert f'value="{ready[0].pk}"' in listing and f'value="{decided.pk}"' not in listing
    chosen = {"bulk_action": "select_municipal", "selected": [a.pk for a in [*ready, decided]]}
    # The confirmation page (tests/test_confirmations.py) names what cannot be done.
    page = client.post(reverse("reviews:queue"), chosen).content.decode()
    assert f"{decided}：当前状态为“拟推荐国家级”，不能执行“列入市级服务团”。" in page
    versions = {f"version-application-{a.pk}": a.version for a in [*ready, decided]}
    page = client.post(
        reverse("reviews:queue"), {**chosen, **versions, "confirmed": "1"}, follow=True
    ).content.decode()
    assert "已列入市级服务团 3 个项目。" not in page and "已列入市级服务团 2 个项目。" in page
    assert f"未能列入市级服务团：{decided}：" in page
    assert {a.state for a in Application.objects.filter(pk__in=[a.pk for a in ready])} == {
        State.MUNICIPAL_TEAM
    }


def test_bulk_decline_needs_the_shared_reason(client, call, bureau):
    app = recommended(call)
    client.force_login(bureau)
    page = client.post(
        reverse("reviews:queue"), {"bulk_action": "decline", "selected": [app.pk]}, follow=True
    ).content.decode()
    assert "须填写意见" in page
    client.post(
        reverse("reviews:queue"),
        {
            "bulk_action": "decline",
            "selected": [app.pk],
            "bulk_comment": "名额有限",
            f"version-application-{app.pk}": app.version,
            "confirmed": "1",
        },
    )
    assert Application.objects.get(pk=app.pk).state == State.NOT_SELECTED


def test_a_recommender_filters_by_what_it_sees(client, call, bureau):
    decided = workflow.transition(recommended(call), "decline", user=bureau, comment="名额")
    client.force_login(UserFactory(organisation=decided.recommender))
    page = client.get(reverse("reviews:queue")).content.decode()
    assert "未入选（已公布）" in page and '<option value="not_selected"' not in page
    shown = client.get(reverse("reviews:queue"), {"state": "recommended"}).content.decode()
    assert decided.name in shown
    hidden = client.get(reverse("reviews:queue"), {"state": "published:not_selected"})
    assert decided.name not in hidden.content.decode()


def test_the_direct_route_has_its_own_limit(client, call, bureau):
    call.applications_per_unit = 5
    call.save()
    apps = []
    for _ in range(3):
        unit = UnitFactory()
        app = CompleteApplicationFactory(call=call, unit=unit, recommender=bureau.organisation)
        leader = app.experts.get(is_leader=True)
        leader.talents = ["special_allowance"]  # led by a 特贴 expert: may go to the bureau
        leader.save()
        apps.append(workflow.transition(app, "submit", user=UserFactory(organisation=unit)))
    for app in apps[:2]:  # no limit by default, whatever the recommenders' quota
        workflow.transition(app, "accept", user=bureau)
        workflow.transition(app, "recommend", user=bureau, comment="特贴专家领衔")
    client.force_login(bureau)
    client.post(reverse("reviews:quotas"), {"form": "direct", "limit": "2", "reason": "控制规模"})
    call.refresh_from_db()
    assert call.direct_limit == 2
    workflow.transition(apps[2], "accept", user=bureau)
    with pytest.raises(workflow.WorkflowError, match="特贴专家领衔项目直报已达上限：可受理 2 个"):
        workflow.transition(apps[2], "recommend", user=bureau, comment="特贴专家领衔")
    assert services.quota_usage(call, bureau.organisation) == (2, 2)
