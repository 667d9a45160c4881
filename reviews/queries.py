"""The recommender's queue and the bureau's list: one query shape for every list page."""

import functools
from typing import NamedTuple

from django import forms
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils.functional import cached_property

from applications.choices import Category
from applications.models import Application
from bases.models import Assessment
from bases.services import commended_units
from shanghai_experts import visibility
from shanghai_experts.models import Organisation
from shanghai_experts.states import ASSESSED_STATES, RECOMMENDED_STATES, State
from shanghai_experts.widgets import ListFilter, filter_widgets

from . import columns
from .engine.workflow import APPLICATION, ASSESSMENT
from .models import ReviewAssignment

QUEUE_STATES = [(s.value, s.label) for s in State if s != State.DRAFT]
#: What a recommender can filter by: the states it sees (shanghai_experts.visibility); the
#: bureau's decisions only as published results.
RECOMMENDER_STATES = [
    (State.SUBMITTED.value, State.SUBMITTED.label),
    (State.UNDER_REVIEW.value, State.UNDER_REVIEW.label),
    (State.RETURNED.value, State.RETURNED.label),
    (State.RECOMMENDED.value, State.RECOMMENDED.label),
    (State.NOT_RECOMMENDED.value, State.NOT_RECOMMENDED.label),
    *(
        (f"published:{s.value}", f"{s.label}（已公布）")
        for s in (
            State.MUNICIPAL_TEAM,
            State.NATIONAL_CANDIDATE,
            State.NATIONAL_TEAM,
            State.NOT_SELECTED,
        )
    ),
]


#: An item is scored by this many 评审专家 at least before the bureau decides (a score from one
#: reviewer only is a caution on the decision's confirmation, reviews.cautions).
MIN_REVIEWERS = 2

#: The bureau's to-do filters, offered first in its state filter and counted on its home page
#: (portal.todo): the list and the count read the same filter.
NEEDS_REVIEWERS = "todo:assign"
READY = "todo:decide"
TODO_STATES = [
    (NEEDS_REVIEWERS, f"待分配评审（评审专家不足 {MIN_REVIEWERS} 位）"),
    (READY, "待决定（评审已完成）"),
]


def needs_reviewers(qs):
    """已推荐至市人社局 applications with fewer than MIN_REVIEWERS 评审专家 who have not
    recused themselves: what 评审分配 has still to do. One correlated count per row, in the
    list's own statement."""
    active = (
        ReviewAssignment.objects.filter(application=OuterRef("pk"))
        .exclude(declaration=ReviewAssignment.Declaration.RECUSED)
        .order_by()
        .values("application")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        qs.filter(state=State.RECOMMENDED)
        .alias(active_reviewers=Coalesce(Subquery(active), 0))
        .filter(active_reviewers__lt=MIN_REVIEWERS)
    )


#: 已推荐至市人社局 applications whose scoring is done: every assigned 评审专家 has submitted
#: (reviews.scoring.refresh_scores sets the mean only then), at least MIN_REVIEWERS of them.
READY_Q = Q(state=State.RECOMMENDED, score_mean__isnull=False, score_count__gte=MIN_REVIEWERS)


def shown_state_filter(qs, state: str):
    """A recommender's state filter (RECOMMENDER_STATES) on what it sees: 已推荐至市人社局
    covers every item the bureau has not announced a decision on; a published result filters
    by the announcement."""
    if state.startswith("published:"):
        return qs.filter(published_state=state.removeprefix("published:"))
    if state == State.RECOMMENDED:
        return qs.filter(state__in=RECOMMENDED_STATES, published_state="")
    return qs.filter(state=state)


#: Beyond this many matching units, the search matches them in a subquery instead.
UNIT_MATCH_LIMIT = 2000


def matching_units(q: str, fk: str = "unit_id") -> Q:
    """`unit_id IN (…)` (or another `fk`) for the units whose name contains `q` (see QueueFilter._named)."""
    units = Organisation.objects.filter(name__icontains=q).order_by().values_list("pk", flat=True)
    found = list(units[: UNIT_MATCH_LIMIT + 1])
    return Q(**{f"{fk}__in": units if len(found) > UNIT_MATCH_LIMIT else found})


#: Sorts only the bureau's list offers: those of the columns a recommender's list lacks.
BUREAU_SORTS = columns.hidden_sorts(visibility.RECOMMENDER)


class QueueFilter(ListFilter):
    state = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *QUEUE_STATES]
    )
    category = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部类别"), *Category.choices, (ASSESSMENT, "服务基地评估")],
    )
    field = forms.CharField(label="服务领域", required=False, max_length=50)
    q = forms.CharField(label="名称或单位", required=False, max_length=50)
    recommender = forms.TypedChoiceField(label="推荐单位", required=False, coerce=int)
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("", "推荐单位与排序"),
            ("-submitted_at", "提交时间（新→旧）"),
            ("name", "名称"),
            ("-score_mean", "评审均分（高→低）"),
            ("-score_spread", "评分极差（大→小）"),
            ("priority", "优先支持在前"),
        ],
    )
    priority = forms.BooleanField(label="仅优先支持", required=False)
    paper = forms.ChoiceField(
        label="书面材料",
        required=False,
        choices=[("", "全部"), ("received", "已收到"), ("missing", "未收到")],
    )

    def __init__(self, *args, recommenders=None, call=None, **kwargs):
        """`recommenders` (the bureau's list only): the organisations to filter by; `call`:
        the call whose 优先支持 the bureau's filter and sort read (priority_units)."""
        super().__init__(*args, **kwargs)
        self.bureau = recommenders is not None
        self.call = call
        if recommenders is None:
            # A recommender's queue: no bureau filters, and no sort that would reveal the
            # bureau's scores or priorities; states as the recommender sees them.
            del self.fields["recommender"]
            del self.fields["priority"]
            del self.fields["paper"]
            self.fields["state"].choices = [("", "全部状态"), *RECOMMENDER_STATES]
            self.fields["sort"].choices = [
                choice for choice in self.fields["sort"].choices if choice[0] not in BUREAU_SORTS
            ]
        else:
            self.fields["recommender"].choices = [
                ("", "全部推荐单位"),
                *((org.pk, str(org)) for org in recommenders),
            ]
            self.fields["state"].choices = [("", "全部状态"), *TODO_STATES, *QUEUE_STATES]
        filter_widgets(self)

    @cached_property
    def priority_units(self) -> set[int]:
        """The units whose applications have 优先支持 (bases.services.commended_units): a
        handful, so filtering by them reads the unit index, not a subquery per item."""
        if self.call is None:
            raise ValueError("QueueFilter needs the call to read 优先支持")
        return commended_units(self.call)

    @property
    def priority_first(self) -> bool:
        """Whether the bureau sorts 优先支持 first (priority_first splits the list)."""
        return self.bureau and self.chosen.get("sort") == "priority"

    @property
    def wants(self) -> set[str]:
        """Which kinds of item the filter lets through: applications, assessments or both."""
        category = self.chosen.get("category")
        if category == ASSESSMENT:
            return {ASSESSMENT}
        if category or self.chosen.get("priority") or self.chosen.get("state") == NEEDS_REVIEWERS:
            return {APPLICATION}
        return {APPLICATION, ASSESSMENT}

    def apply(self, qs, *, sort: bool = True):
        """Filter (and sort, unless `sort` is False) a queue of applications."""
        data = self.chosen
        state = data.get("state")
        if state and not self.bureau:
            qs = shown_state_filter(qs, state)
        elif state == NEEDS_REVIEWERS:
            qs = needs_reviewers(qs)
        elif state == READY:
            qs = qs.filter(READY_Q)
        elif state:
            qs = qs.filter(state=state)
        if data.get("category") and data["category"] != ASSESSMENT:
            qs = qs.filter(category=data["category"])
        if data.get("priority"):
            qs = qs.filter(unit_id__in=self.priority_units)
        if data.get("field"):
            qs = qs.filter(service_field__icontains=data["field"])
        if data.get("q"):
            qs = qs.filter(self._named(data["q"], "name"))
        if data.get("recommender"):
            qs = qs.filter(recommender_id=data["recommender"])
        qs = self._paper(qs, data.get("paper"))
        if sort and data.get("sort"):
            key = data["sort"]
            if key.startswith("-score_"):
                # Unscored items go last, whichever way the scores sort.
                qs = qs.order_by(F(key[1:]).desc(nulls_last=True), "id")
            elif key == "priority":
                pass  # the list's own order, in two parts (priority_first)
            else:
                qs = qs.order_by(key, "id")
        return qs

    def _named(self, q: str, name_field: str) -> Q:
        """Its name or its unit's name contains `q`; the matching units are looked up once for
        both tabs of the list.

        They are looked up first (one query, on the organisations' trigram index): `unit_id IN
        (…)` and the name's trigram index then combine in one bitmap scan on PostgreSQL
        (migrations applications.0012_trigram_search, shanghai_experts.0007), where a join or a
        subquery would make the planner read every row of the call."""
        cache = self.__dict__.setdefault("_units_matching", {})
        if q not in cache:
            cache[q] = matching_units(q)
        return Q(**{f"{name_field}__icontains": q}) | cache[q]

    def apply_to_assessments(self, qs):
        """The same filter on a queue of base assessments (no category, rank or scores)."""
        data = self.chosen
        if data.get("state") == NEEDS_REVIEWERS:
            qs = qs.none()  # a base assessment is not scored
        elif data.get("state") == READY:
            qs = qs.filter(state=State.RECOMMENDED)  # nothing to score: decided as it arrives
        elif data.get("state"):
            qs = qs.filter(state=data["state"])
        if data.get("field"):
            qs = qs.filter(industry__icontains=data["field"])
        if data.get("q"):
            qs = qs.filter(self._named(data["q"], "base__name"))
        if data.get("recommender"):
            qs = qs.filter(recommender_id=data["recommender"])
        return self._paper(qs, data.get("paper"))

    @staticmethod
    def _paper(qs, paper: str | None):
        if paper == "received":
            return qs.filter(paper_received_on__isnull=False)
        if paper == "missing":
            return qs.filter(paper_received_on__isnull=True)
        return qs


class AssignmentFilter(ListFilter):
    """The reviewer's list: where the items stand, a search, an order the index keeps."""

    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *ReviewAssignment.Status.choices],
    )
    q = forms.CharField(label="名称或单位", required=False, max_length=50)
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[("", "待办在前"), ("-assigned_at", "分配时间（新→旧）"), ("reference", "编号")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        filter_widgets(self)

    def apply(self, qs):
        """Filter and sort a reviewer's assignments (reviews.reviewers.assigned_items) by
        every field that is valid: a bad sort in the address keeps the chosen tab."""
        data = self.chosen
        if data.get("status"):
            qs = qs.filter(ReviewAssignment.status_q(data["status"]))
        if data.get("q"):
            q = data["q"]
            qs = qs.filter(
                Q(application__name__icontains=q) | matching_units(q, "application__unit_id")
            )
        if data.get("sort") == "-assigned_at":
            qs = qs.order_by("-assigned_at", "id")
        elif data.get("sort") == "reference":
            qs = qs.order_by("application_id")
        return qs


# A list page's annotation is built once per process and reused: an expression is copied
# before it is resolved into a query (BaseExpression.resolve_expression), so the kept one
# never changes. It is keyed by what it depends on.


@functools.cache
def organisation_label(relation: str):
    """The related organisation's short name, or its full name, as str(Organisation) gives it.

    A join, not a correlated subquery: the ORM compiles a join in a fraction of a subquery's
    time, and the counts, which must not pay for the join, read the bare list (base_queue).
    """
    return Coalesce(NullIf(F(f"{relation}__short_name"), Value("")), F(f"{relation}__name"))


def base_assessment_queue(user, call):
    """The base assessments a list shows, bare: what counts read."""
    return Assessment.objects.visible_to(user).filter(call=call).exclude(state=State.DRAFT)


def assessment_queue(user, call):
    """Base assessments of `call` past submission, as the queue lists them beside applications."""
    return (
        base_assessment_queue(user, call)
        .select_related("base")
        .annotate(
            unit_label=organisation_label("unit"),
            service_field=F("industry"),
        )
        .only(
            "id",
            "call_id",
            "unit_id",
            "recommender_id",
            "state",
            "industry",
            "submitted_at",
            "paper_received_on",
            "applicant_scan",
            "rectify_deadline",
            "base__name",
            "base__level",
            "base__year_selected",
        )
        .order_by("recommender_id", "-submitted_at", "id")
    )


QUEUE_FIELDS = (
    "id",
    "call_id",
    "unit_id",
    "recommender_id",
    "paper_received_on",
    "applicant_scan",
    "name",
    "state",
    "published_state",
    "category",
    "service_field",
    "submitted_at",
    "recommender_rank",
    "score_mean",
    "score_spread",
    "score_count",
)


def base_queue(user, call):
    """The items a list shows, bare: what counts and sums read."""
    return Application.objects.visible_to(user).filter(call=call).exclude(state=State.DRAFT)


def priority_first(qs, units: set[int]):
    """A list with the 优先支持 items first: (those items, the others), each part in the
    list's own order. Two reads of the order's index a page (shanghai_experts.paging.
    Concatenated) instead of sorting every item by a computed flag."""
    return qs.filter(unit_id__in=units), qs.exclude(unit_id__in=units)


def queue(user, call):
    """Items of `call` past submission that the user's organisation may act on or see.

    A list row needs the name of its unit, not the unit: it comes as an annotation, so a
    50-row page builds 50 objects rather than 100. 推荐单位 and 优先支持 are set on the
    page's rows afterwards (complete_rows).
    """
    # The fields only some lists' columns read (reviews.columns: 申请经费, 资助经费, 领衔专家).
    extra = columns.loaded_fields(user.organisation)
    qs = (
        base_queue(user, call)
        .annotate(unit_label=organisation_label("unit"))
        .only(*QUEUE_FIELDS)
        .order_by("recommender_id", "recommender_rank", "-submitted_at", "id")
    )
    if extra:
        qs = qs.only(*QUEUE_FIELDS, *extra)
    return qs


def complete_rows(items, call, organisations=None, *, priority_units=None) -> None:
    """What a page's rows show besides their own columns, without a query: the call (its year
    makes each reference number), the bureau's 推荐单位 from `organisations` (recommenders())
    and, given the units with a commended base (bases.services.commended_units), 优先支持."""
    labels = dict(organisations) if organisations is not None else {}
    for item in items:
        item.call = call
        item.recommender_label = labels.get(item.recommender_id, "")
        if priority_units is not None:
            item.priority = item.unit_id in priority_units


def totals(apps) -> dict:
    """The filtered list's count and money (万元): one aggregate query."""
    return apps.order_by().aggregate(
        count=Count("id"),
        requested=Sum("requested_amount"),
        granted=Sum("funding_granted"),
        support=Sum("bureau_support"),
    )


class Recommender(NamedTuple):
    pk: int
    label: str

    def __str__(self) -> str:
        return self.label


def recommenders() -> list[Recommender]:
    """Every organisation items are addressed to (the bureau too, for direct submissions),
    as (pk, label) in the order lists show them: districts, commissions, the bureau. The
    label is str(Organisation): the short name, or else the full name."""
    rows = (
        Organisation.objects.filter(
            kind__in=[*Organisation.RECOMMENDER_KINDS, Organisation.Kind.MUNICIPAL]
        )
        .order_by("kind", "id")
        .values_list("pk", "short_name", "name")
    )
    return [Recommender(pk, short or name) for pk, short, name in rows]


def summary_by_recommender(call, organisations):
    """Counts per recommender and category for the bureau's overview.

    Grouped on the covering index (call, state, recommender, category) alone, so 10,000
    items cost one index scan; `organisations` (from recommenders()) name the rows.
    """
    counts = (
        Application.objects.filter(call=call)
        .exclude(state=State.DRAFT)
        .values_list("recommender_id", "category", "state")
        .annotate(n=Count("*"))
        .order_by()
    )
    pending = {State.SUBMITTED, State.UNDER_REVIEW, State.RETURNED, State.NOT_RECOMMENDED}
    rows: dict[int, dict] = {}
    for recommender_id, category, state, n in counts:
        row = rows.setdefault(
            recommender_id, {"total": 0, "national": 0, "municipal": 0, "recommended": 0}
        )
        row["total"] += n
        if category in (Category.NATIONAL, Category.MUNICIPAL):
            row[category] += n
        if state not in pending:
            row["recommended"] += n
    return [{"recommender": org, **rows[org.pk]} for org in organisations if org.pk in rows]


def export_applications(user, call, filters: QueueFilter):
    """The applications of the user's 一览表: what a recommender recommended; for the bureau,
    its list as filtered (recommended ones unless a state is chosen)."""
    qs = Application.objects.visible_to(user).filter(call=call).exclude(state=State.DRAFT)
    qs = filters.apply(qs, sort=False)
    if not filters.chosen.get("state"):
        qs = qs.filter(state__in=RECOMMENDED_STATES)
    return qs


def export_assessments(user, call, filters: QueueFilter):
    qs = filters.apply_to_assessments(
        Assessment.objects.visible_to(user).filter(call=call).exclude(state=State.DRAFT)
    )
    if not filters.chosen.get("state"):
        qs = qs.filter(state__in=ASSESSED_STATES)
    return qs
