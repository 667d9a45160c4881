"""The transition table, tested directly: every state × every role × every action."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from reviews.engine import services, workflow
from reviews.models import AuditRecord
from shanghai_experts.models import RecommenderQuota
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)
from .forms_data import form_data

# Written out by hand from the notice's process, independently of reviews/engine/workflow.py.
RECOMMENDER_STAGE = {
    ("submit", "unit"): {"draft", "returned"},
    ("withdraw", "unit"): {"submitted"},
    ("withdraw_recommendation", "recommender"): {"recommended"},
    ("accept", "recommender"): {"submitted"},
    ("return", "recommender"): {"submitted", "under_review"},
    ("recommend", "recommender"): {"under_review"},
    ("not_recommend", "recommender"): {"under_review"},
}
ALLOWED = {
    "application": {
        **RECOMMENDER_STAGE,
        ("select_national", "bureau"): {"recommended"},
        ("select_municipal", "bureau"): {"recommended"},
        ("decline", "bureau"): {"recommended"},
        ("revoke_decision", "bureau"): {"national_candidate", "municipal_team", "not_selected"},
        ("mohrss_approve", "bureau"): {"national_candidate"},
        ("mohrss_to_municipal", "bureau"): {"national_candidate"},
        ("mohrss_decline", "bureau"): {"national_candidate"},
    },
    "assessment": {
        **RECOMMENDER_STAGE,
        ("commend", "bureau"): {"recommended"},
        ("qualify", "bureau"): {"recommended"},
        ("require_rectification", "bureau"): {"recommended"},
        ("submit_rectification", "unit"): {"rectifying"},
        ("accept_rectification", "bureau"): {"rectification_submitted"},
        ("return_rectification", "bureau"): {"rectification_submitted"},
    },
}
TARGET = {
    "submit": "submitted",
    "withdraw": "draft",
    "withdraw_recommendation": "under_review",
    "revoke_decision": "recommended",
    "accept": "under_review",
    "return": "returned",
    "recommend": "recommended",
    "not_recommend": "not_recommended",
    "select_national": "national_candidate",
    "select_municipal": "municipal_team",
    "decline": "not_selected",
    "mohrss_approve": "national_team",
    "mohrss_to_municipal": "municipal_team",
    "mohrss_decline": "not_selected",
    "commend": "commended",
    "qualify": "qualified",
    "require_rectification": "rectifying",
    "submit_rectification": "rectification_submitted",
    "accept_rectification": "rectified",
    "return_rectification": "rectifying",
}
ROLES = ["unit", "recommender", "bureau", "other_unit", "other_recommender"]
ACTIONS = sorted(TARGET)
KINDS = ["application", "assessment"]


def test_table_declares_exactly_these_actions():
    assert set(workflow.TRANSITIONS) == set(TARGET)
    assert {a: t.target for a, t in workflow.TRANSITIONS.items()} == TARGET
    for kind in KINDS:
        declared = {a for a, t in workflow.TRANSITIONS.items() if kind in t.kinds}
        assert declared == {action for action, _ in ALLOWED[kind]}


@pytest.fixture
def actors(db):
    unit = UnitFactory()
    return {
        "unit": UserFactory(organisation=unit),
        "recommender": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory()),
        "other_unit": UserFactory(organisation=UnitFactory()),
        "other_recommender": UserFactory(organisation=UnitFactory().district),
    }


def make_item(kind, call, unit, state):
    if kind == "application":
        return CompleteApplicationFactory(call=call, unit=unit, state=state)
    return AssessmentFactory(call=call, base=BaseFactory(host_unit=unit), state=state)


@pytest.mark.parametrize(
    ("kind", "state", "role", "action"),
    list(itertools.product(KINDS, [s.value for s in State], ROLES, ACTIONS)),
)
def test_transition(call, actors, kind, state, role, action):
    item = make_item(kind, call, actors["unit"].organisation, state)
    allowed = state in ALLOWED[kind].get((action, role), set())
    comment = "意见"
    today = timezone.localdate()
    params = {
        "deadline": today + datetime.timedelta(days=30),
        # 人社部批准 records the Ministry's document.
        "document_number": f"人社厅函〔{today.year}〕58号",
        "approved_on": today,
    }
    if allowed:
        result = workflow.transition(
            item, action, user=actors[role], comment=comment, params=params
        )
        assert result.state == TARGET[action]
        record = AuditRecord.objects.get(object_id=item.pk, action=action)
        assert (record.from_state, record.to_state, record.actor) == (
            state,
            TARGET[action],
            actors[role],
        )
    else:
        with pytest.raises(workflow.WorkflowError):
            workflow.transition(item, action, user=actors[role], comment=comment, params=params)
        item.refresh_from_db()
        assert item.state == state
        assert not AuditRecord.objects.filter(
            content_type__model=kind, object_id=item.pk, action=action, outcome="success"
        ).exists()
        refused = AuditRecord.objects.get(content_type__model=kind, object_id=item.pk)
        assert (refused.outcome, refused.actor, refused.from_state) == (
            "refused",
            actors[role],
            state,
        )


def test_refusal_names_the_reason(call, actors):
    app = CompleteApplicationFactory(call=call, unit=actors["unit"].organisation)
    assert workflow.refusal(app, "accept", actors["unit"]) == "只有推荐单位可以执行“受理”。"
    app.state = State.RECOMMENDED
    assert (
        workflow.refusal(app, "accept", actors["recommender"])
        == "当前状态为“已推荐至市人社局”，不能执行“受理”。"
    )


@pytest.mark.django_db(transaction=True)
def test_the_edit_pages_submit_reaches_its_confirmation_outside_a_transaction(client):
    """The edit page asks refusal() before the confirmation page, with no transaction open (as
    under gunicorn, unlike a test wrapped in one): the per-unit limit's row lock made that a 500
    on PostgreSQL for every unit that clicked 提交申报."""
    app = CompleteApplicationFactory()
    client.force_login(UserFactory(organisation=app.unit))
    edit = reverse("applications:edit", args=[app.pk])
    response = client.post(edit, form_data(app, action="submit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:submit", args=[app.pk])
    assert workflow.refusal(app, "submit", UserFactory(organisation=app.unit)) is None


def test_return_and_recommend_need_a_comment(call, actors):
    app = CompleteApplicationFactory(
        call=call, unit=actors["unit"].organisation, state="under_review"
    )
    for action in ("return", "recommend", "not_recommend"):
        with pytest.raises(workflow.WorkflowError, match="须填写意见"):
            workflow.transition(app, action, user=actors["recommender"], comment="  ")


def test_ui_offers_only_what_the_user_may_do(call, actors):
    app = CompleteApplicationFactory(
        call=call, unit=actors["unit"].organisation, state="under_review"
    )
    offered = [t.action for t in workflow.available_actions(app, actors["recommender"])]
    assert offered == ["return", "recommend", "not_recommend"]
    assert workflow.available_actions(app, actors["unit"]) == []


# --- quota, deadline, extension -----------------------------------------------------------


def under_review(call, recommender_org, n=1):
    return [
        CompleteApplicationFactory(
            call=call, unit=UnitFactory(district=recommender_org), state=State.UNDER_REVIEW
        )
        for _ in range(n)
    ]


def test_quota_refuses_a_second_recommendation(call, actors):
    district = actors["recommender"].organisation
    first, second = under_review(call, district, 2)
    workflow.transition(first, "recommend", user=actors["recommender"], comment="推荐")
    with pytest.raises(
        workflow.WorkflowError, match="推荐名额已满：本单位可推荐 1 个服务团，已推荐 1 个。"
    ):
        workflow.transition(second, "recommend", user=actors["recommender"], comment="推荐")


def test_raised_quota_allows_more_and_ranks_them(call, actors):
    district = actors["recommender"].organisation
    RecommenderQuota.objects.create(call=call, organisation=district, quota=2)
    first, second = under_review(call, district, 2)
    workflow.transition(first, "recommend", user=actors["recommender"], comment="第一")
    workflow.transition(second, "recommend", user=actors["recommender"], comment="第二")
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.recommender_rank, second.recommender_rank) == (1, 2)
    assert first.recommender_opinion == "第一"
    services.set_ranking(call=call, user=actors["recommender"], ordered_pks=[second.pk, first.pk])
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.recommender_rank, second.recommender_rank) == (2, 1)


def test_ranking_must_list_exactly_the_recommended_items(call, actors):
    district = actors["recommender"].organisation
    (app,) = under_review(call, district)
    workflow.transition(app, "recommend", user=actors["recommender"], comment="推荐")
    with pytest.raises(workflow.WorkflowError, match="排序须包含且只包含"):
        services.set_ranking(call=call, user=actors["recommender"], ordered_pks=[app.pk, 999])


def test_recommendation_refused_after_the_recommender_deadline_unless_extended(call, actors):
    call.unit_deadline = timezone.now() - datetime.timedelta(days=2)
    call.recommender_deadline = timezone.now() - datetime.timedelta(days=1)
    call.save()
    district = actors["recommender"].organisation
    (app,) = under_review(call, district)
    with pytest.raises(workflow.WorkflowError, match="已过截止时间"):
        workflow.transition(app, "recommend", user=actors["recommender"], comment="推荐")
    services.grant_extension(
        call=call,
        organisation=district,
        deadline=timezone.now() + datetime.timedelta(days=1),
        reason="材料补正",
        user=actors["bureau"],
    )
    workflow.transition(app, "recommend", user=actors["recommender"], comment="推荐")
    assert AuditRecord.objects.filter(action="extend", comment__contains="材料补正").exists()


def test_only_the_bureau_extends_deadlines(call, actors):
    with pytest.raises(workflow.WorkflowError, match="只有市人社局"):
        services.grant_extension(
            call=call,
            organisation=actors["unit"].organisation,
            deadline=timezone.now(),
            reason="x",
            user=actors["recommender"],
        )


# --- funding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "granted", "ok"),
    [
        ("national_team", "20", True),
        ("national_team", "20.01", False),
        ("municipal_team", "10", True),
        ("municipal_team", "10.5", False),
        ("national_candidate", "5", False),
        ("municipal_team", "5.123", False),
    ],
)
def test_funding_never_above_the_final_categorys_cap(call, actors, state, granted, ok):
    app = CompleteApplicationFactory(call=call, unit=actors["unit"].organisation, state=state)
    if ok:
        services.record_funding(
            app, user=actors["bureau"], granted=Decimal(granted), support=Decimal("3")
        )
        app.refresh_from_db()
        assert (app.funding_granted, app.bureau_support) == (Decimal(granted), Decimal("3"))
    else:
        with pytest.raises(workflow.WorkflowError):
            services.record_funding(
                app, user=actors["bureau"], granted=Decimal(granted), support=None
            )
        assert Application.objects.get(pk=app.pk).funding_granted is None
