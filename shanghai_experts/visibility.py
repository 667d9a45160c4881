"""Who sees what of an item, and when: the one place that decides.

The bureau's review is confidential until it announces the results (公布结果). Until then a
unit and its recommender see a 附件1 item the bureau has decided on as 已推荐至市人社局; its
scores, its reviewers and the bureau's internal work never reach them. Recommenders see their
own ranking; units do not. Internal notes pass between a recommender and the bureau only.
附件2 outcomes are not held back: a 限期整改 asks the unit to act.

    aspect      bureau  recommender          unit                 评审专家 / anyone else
    state       real    shown (see below)    shown                —
    scores      yes     no                   no                   no (a 评审专家: their own sheet)
    reviewers   yes     no                   no                   no
    rank        yes     its own ranking      no                   no
    decision    yes     once published       once published       no
    funding     yes     once published       once published       no
    notes       yes     yes                  no                   no

    shown state: a 附件1 item in a decision state shows its published state, or 已推荐至市人社局
    before publication; everything else shows as it is.

tests/test_visibility.py checks every cell of this table, role by role and state by state,
on pages, lists, exports, PDFs and e-mails.
"""

from __future__ import annotations

from .states import State

BUREAU, RECOMMENDER, UNIT, REVIEWER, OTHER = (
    "bureau",
    "recommender",
    "unit",
    "reviewer",
    "other",
)
ASPECTS = ("state", "scores", "reviewers", "rank", "decision", "funding", "notes")

#: The bureau's decisions on a 附件1 application: confidential until published.
DECISION_STATES = frozenset(
    {State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM, State.NOT_SELECTED, State.NATIONAL_TEAM}
)

ALWAYS, NEVER, PUBLISHED = "always", "never", "published"

MATRIX = {
    BUREAU: dict.fromkeys(ASPECTS, ALWAYS),
    RECOMMENDER: {
        "state": ALWAYS,
        "scores": NEVER,
        "reviewers": NEVER,
        "rank": ALWAYS,
        "decision": PUBLISHED,
        "funding": PUBLISHED,
        "notes": ALWAYS,
    },
    UNIT: {
        "state": ALWAYS,
        "scores": NEVER,
        "reviewers": NEVER,
        "rank": NEVER,
        "decision": PUBLISHED,
        "funding": PUBLISHED,
        "notes": NEVER,
    },
    # An outside expert sees the submitted content of what they are assigned, and their own
    # sheet; nothing of the process around it.
    REVIEWER: dict.fromkeys(ASPECTS, NEVER),
    OTHER: dict.fromkeys(ASPECTS, NEVER),
}


def role_of(organisation, item) -> str:
    if organisation is None:
        return OTHER
    if organisation.is_bureau:
        return BUREAU
    if organisation.is_reviewer_panel:
        return REVIEWER
    if item.recommender_id == organisation.pk:
        return RECOMMENDER
    if item.unit_id == organisation.pk:
        return UNIT
    return OTHER


def is_published(item) -> bool:
    """Whether the bureau's decision on the item has been announced (附件2: always)."""
    if item.workflow_kind != "application":
        return True
    return bool(getattr(item, "published_state", ""))


def may_see(organisation, item, aspect: str) -> bool:
    rule = MATRIX[role_of(organisation, item)][aspect]
    if rule == PUBLISHED:
        return is_published(item)
    return rule == ALWAYS


def shown_state(item, organisation) -> str:
    """The state `organisation` sees the item in."""
    role = role_of(organisation, item)
    if role == BUREAU:
        return item.state
    if item.workflow_kind == "application" and item.state in DECISION_STATES:
        return item.published_state or State.RECOMMENDED
    return item.state
