"""What waits for a district office and the bureau, counted on their home pages.

Each count reads the filter of the list it links to (the bureau's list, reviews.queries.
QueueFilter; 注册审核, accounts.services.registrations), so a count and its list never
disagree, and all of a page's counts come in one statement (shanghai_experts.paging.
capped_counts), whatever the number of items."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from django.urls import reverse

from accounts.services import registrations
from reviews.queries import (
    MIN_REVIEWERS,
    NEEDS_REVIEWERS,
    READY,
    QueueFilter,
    base_assessment_queue,
    base_queue,
)
from shanghai_experts.models import Call, Organisation, User
from shanghai_experts.paging import capped_counts, count_label
from shanghai_experts.states import State


@dataclasses.dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str
    hint: str

    @property
    def shown(self) -> str:
        """The count as the lists show theirs: 137, or 2000+."""
        return count_label(self.count)


def _queue_url(state: str) -> str:
    return f"{reverse('reviews:queue')}?{urlencode({'state': state})}"


def _listed(user: User, call: Call, state: str):
    """The bureau's list filtered by `state` (a state or a to-do filter), bare, as its tabs
    count it: (applications, base assessments)."""
    filters = QueueFilter({"state": state}, recommenders=[], call=call)
    return (
        filters.apply(base_queue(user, call), sort=False),
        filters.apply_to_assessments(base_assessment_queue(user, call)),
    )


def todo_for(user: User, call: Call | None) -> list[Todo]:
    """The to-do counts of a district office (待审核注册) or of the bureau (待分配评审, 待决定,
    待登记人社部结果, 待审核注册); nothing for anyone else."""
    org = user.organisation
    if org is None or not (org.is_bureau or org.kind == Organisation.Kind.DISTRICT):
        return []
    waiting = registrations(org, Organisation.Approval.PENDING)
    waiting_url = f"{reverse('accounts:approvals')}?show=pending"
    waiting_hint = "自行注册的单位，通过后方可申报"
    if not org.is_bureau or call is None:
        [count] = capped_counts(waiting)
        return [Todo("registrations", "待审核注册", count, waiting_url, waiting_hint)]
    assign, _ = _listed(user, call, NEEDS_REVIEWERS)
    ready, ready_bases = _listed(user, call, READY)
    national, _ = _listed(user, call, State.NATIONAL_CANDIDATE)
    counts = capped_counts(assign, ready, ready_bases, national, waiting)
    assign_n, ready_n, ready_bases_n, national_n, waiting_n = counts
    return [
        Todo(
            "assign",
            "待分配评审",
            assign_n,
            _queue_url(NEEDS_REVIEWERS),
            f"已推荐的服务团，评审专家不足 {MIN_REVIEWERS} 位",
        ),
        Todo(
            "decide",
            "待决定",
            ready_n + ready_bases_n,
            _queue_url(READY),
            # No break between a count and its 项 (U+00A0).
            f"评审已完成的服务团 {count_label(ready_n)}\u00a0项、"
            f"基地评估 {count_label(ready_bases_n)}\u00a0项",
        ),
        Todo(
            "mohrss",
            "待登记人社部结果",
            national_n,
            _queue_url(State.NATIONAL_CANDIDATE),
            "拟推荐国家级，尚未登记人社部批准与否",
        ),
        Todo("registrations", "待审核注册", waiting_n, waiting_url, waiting_hint),
    ]
