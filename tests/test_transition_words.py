"""Every state and every transition has its words: a new state or step that forgets one fails
here, naming what is missing, instead of showing a blank on some page, mail or list."""

import pytest

from reviews.engine import guidance, notifications, workflow
from shanghai_experts import visibility
from shanghai_experts.items import KINDS
from shanghai_experts.states import STATE_COLOURS, State

from .factories import AssessmentFactory, BureauFactory, CompleteApplicationFactory

#: The roles that read 下一步 on an item's page. A 评审专家 reads its own review page, never
#: the item's, so it has no words here.
ROLES = (visibility.UNIT, visibility.RECOMMENDER, visibility.BUREAU)
NEXT_ACTORS = {*ROLES, notifications.NOBODY}
BADGES = {"primary", "secondary", "success", "danger", "warning", "info", "light", "dark"}
TRANSITIONS = list(workflow.TRANSITIONS.values())


def named(transition) -> str:
    return transition.action


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", State.values)
def test_every_state_has_next_step_words_for_every_role(state, role):
    words = guidance.NEXT_STEPS.get(state, {})
    assert role in words, f"guidance.NEXT_STEPS[{state!r}] has no words for {role!r}"
    assert all(isinstance(step, str) or callable(step) for step in words[role])


@pytest.mark.parametrize("state", State.values)
def test_every_state_has_a_badge_colour(state):
    assert STATE_COLOURS.get(state) in BADGES


def test_the_words_name_no_state_or_role_that_does_not_exist():
    assert set(guidance.NEXT_STEPS) == set(State.values)
    assert all(set(by_role) == set(ROLES) for by_role in guidance.NEXT_STEPS.values())


@pytest.mark.parametrize("transition", TRANSITIONS, ids=named)
def test_every_transition_has_its_words(transition):
    t = transition
    assert t.label, f"{t.action}: no label"
    assert t.consequence is not None, f"{t.action}: no confirmation text (say '' if none)"
    assert t.next_actor in NEXT_ACTORS, f"{t.action}: no next actor for its notice"
    if t.asks_comment:
        assert t.comment_label, f"{t.action}: asks a comment but does not say what it is"
    else:
        assert not t.comment_label, f"{t.action}: names a comment box it never shows"
    assert t.badge in BADGES
    assert t.role in ROLES and t.target in State.values and t.sources <= set(State.values)
    assert t.kinds and t.kinds <= set(KINDS)


@pytest.mark.parametrize("transition", TRANSITIONS, ids=named)
def test_only_the_bureau_works_internally(transition):
    """A unit's or recommender's step is never hidden from the history the others read."""
    if transition.internal:
        assert transition.role == visibility.BUREAU
        assert transition.action in workflow.BUREAU_INTERNAL_ACTIONS


@pytest.mark.parametrize(
    "action", [action for actions in workflow.BULK_ACTIONS.values() for action in actions]
)
def test_every_bulk_action_says_what_happens(action):
    t = workflow.TRANSITIONS[action]
    assert t.consequence_for_many or t.consequence, f"{action}: the bulk page would say nothing"


def test_the_table_asks_what_the_confirmation_page_shows():
    """The boxes a confirmation page shows, as each transition declares them."""
    shown = {
        t.action: (t.asks_comment, t.asks_deadline, t.asks_approval)
        for t in TRANSITIONS
        if t.asks_comment or t.asks_deadline or t.asks_approval
    }
    assert shown == {
        "return": (True, False, False),
        "recommend": (True, False, False),
        "not_recommend": (True, False, False),
        "withdraw_recommendation": (True, False, False),
        "decline": (True, False, False),
        "revoke_decision": (True, False, False),
        "mohrss_approve": (False, False, True),
        "mohrss_decline": (True, False, False),
        "commend": (True, False, False),
        "qualify": (True, False, False),
        "require_rectification": (True, True, False),
        "return_rectification": (True, False, False),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [CompleteApplicationFactory, AssessmentFactory])
def test_every_state_says_its_words_to_every_role_of_either_kind(call, factory):
    """The words that need data (a deadline, the recommender's name, the result) can be said
    for every state, role and kind: each is plain text, none is blank."""
    item = factory(call=call)
    readers = {
        visibility.UNIT: item.unit,
        visibility.RECOMMENDER: item.recommender,
        visibility.BUREAU: BureauFactory(),
    }
    for state in State.values:
        item.state = state
        for role, organisation in readers.items():
            steps = guidance.next_steps(item, organisation)
            assert all(isinstance(step, str) and step.strip() for step in steps), (state, role)
