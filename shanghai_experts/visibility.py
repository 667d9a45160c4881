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

A list asks the table once for all its rows (`may_see_in_list`, `list_role`): the lists an
organisation reads hold only items it stands in one role to (a unit's own, a recommender's
addressed to it, the bureau's all), so what a column shows is decided for the list, never
per row and never by testing the reader's kind in a template.

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


def list_role(organisation) -> str:
    """The role `organisation` holds toward every item of its lists: its kind fixes it (the
    bureau's list holds every item, a recommender's the items addressed to it, a unit's its
    own), as role_of gives it for each of those items."""
    if organisation is None:
        return OTHER
    if organisation.is_bureau:
        return BUREAU
    if organisation.is_reviewer_panel:
        return REVIEWER
    if organisation.is_recommender:
        return RECOMMENDER
    if organisation.is_unit:
        return UNIT
    return OTHER


def _allows(rule: str, published: bool) -> bool:
    return rule == ALWAYS or (rule == PUBLISHED and published)


def is_published(item) -> bool:
    """Whether the bureau's decision on the item has been announced (附件2: always)."""
    if not item.item_kind.decided_by_bureau:
        return True
    return bool(getattr(item, "published_state", ""))


def may_see(organisation, item, aspect: str) -> bool:
    return _allows(MATRIX[role_of(organisation, item)][aspect], is_published(item))


def may_see_in_list(organisation, aspect: str, *, published: bool = False) -> bool:
    """Whether `organisation` sees `aspect` of the rows of its lists (list_role): of every
    row, or (`published`) of the rows whose decision is announced. A column shows only what
    its reader sees on every row; a count or a sum read as grouped values passes `published`
    for each group."""
    return role_sees(list_role(organisation), aspect, published=published)


def role_sees(role: str, aspect: str, *, published: bool = False) -> bool:
    """Whether `role` sees `aspect` of every item, or (`published`) of an announced one."""
    return _allows(MATRIX[role][aspect], published)


def state_as_seen(
    state: str, published_state: str, *, sees_decision: bool, decided_by_bureau: bool = True
) -> str:
    """The state a reader sees an item in, on values: a 附件1 item in a decision state shows
    its published state, or 已推荐至市人社局 before publication, to a reader who may not see
    the bureau's decisions before they are announced (`sees_decision`: the matrix's decision
    rule is ALWAYS for them)."""
    if sees_decision or not decided_by_bureau or state not in DECISION_STATES:
        return state
    return published_state or State.RECOMMENDED


def shown_state(item, organisation) -> str:
    """The state `organisation` sees the item in."""
    return state_as_seen(
        item.state,
        getattr(item, "published_state", ""),
        sees_decision=MATRIX[role_of(organisation, item)]["decision"] == ALWAYS,
        decided_by_bureau=item.item_kind.decided_by_bureau,
    )


def list_sees_decisions(organisation) -> bool:
    """Whether the rows of `organisation`'s lists show the bureau's decisions as they stand,
    before they are announced (state_as_seen's `sees_decision` for a whole list)."""
    return MATRIX[list_role(organisation)]["decision"] == ALWAYS
