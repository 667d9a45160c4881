"""评审专家: outside experts the bureau assigns to applications, each scoring independently.

- The bureau assigns reviewers one item at a time or in bulk (a selection, or every item of a
  服务领域), N per item, the least-loaded reviewers first.
- An assignment where the reviewer works for the applicant unit is refused (回避); every
  reviewer also declares, per item, no conflict of interest (or 回避) before the sheet opens.
- A reviewer sees only their assigned items, the submitted content, and their own sheet.
- The bureau follows progress per reviewer and per item; an item's mean and spread appear once
  every sheet is in (reviews.scoring.refresh_scores), flagged when the spread passes the call's
  threshold.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from applications.models import Application
from records import audit
from shanghai_experts import paging
from shanghai_experts.items import WorkflowError
from shanghai_experts.models import Call, Organisation, User

from .models import WORKLIST_ORDER, ReviewAssignment, ScoreSheet
from .scoring import SCORABLE_STATES, refresh_scores

Declaration = ReviewAssignment.Declaration


def panel(call: Call | None = None):
    """Every active 评审专家, with the number of items assigned to them in `call`."""
    reviewers = User.objects.filter(
        organisation__kind=Organisation.Kind.REVIEWERS, is_active=True
    ).select_related("affiliation")
    if call is not None:
        reviewers = reviewers.annotate(
            load=Count("review_assignments", filter=Q(review_assignments__application__call=call))
        )
    return reviewers.order_by("username")


def conflict(reviewer: User, app: Application) -> str | None:
    if reviewer.affiliation_id and reviewer.affiliation_id == app.unit_id:
        name = reviewer.get_full_name() or reviewer.username
        return f"{name}的工作单位即申报单位“{app.unit}”，应当回避，不能分配。"
    return None


def assign(
    apps, reviewers, *, per_item: int | None = None, user: User, client_ip=None
) -> tuple[list[ReviewAssignment], list[str]]:
    """Assign `reviewers` to each of `apps`: all of them, or `per_item` of them per item, the
    least loaded first. Returns (new assignments, refusals in Chinese); each new assignment is
    audited."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以分配评审专家。")
    reviewers = [r for r in reviewers if r.organisation and r.organisation.is_reviewer_panel]
    if not reviewers:
        raise WorkflowError("请选择评审专家。")
    made, refused = [], []
    with transaction.atomic():
        load = Counter(
            ReviewAssignment.objects.filter(reviewer__in=reviewers).values_list(
                "reviewer_id", flat=True
            )
        )
        for app in apps:
            if app.state not in SCORABLE_STATES:
                refused.append(f"{app}：当前状态为“{app.get_state_display()}”，不需要评审。")
                continue
            existing = set(
                ReviewAssignment.objects.filter(application=app).values_list(
                    "reviewer_id", flat=True
                )
            )
            candidates = sorted(
                (r for r in reviewers if r.pk not in existing),
                key=lambda r: (load[r.pk], r.username),
            )
            wanted = len(candidates) if per_item is None else per_item - len(existing)
            for reviewer in candidates:
                if wanted <= 0:
                    break
                reason = conflict(reviewer, app)
                if reason:
                    refused.append(reason)
                    continue
                try:
                    with transaction.atomic():
                        assignment = ReviewAssignment.objects.create(
                            application=app, reviewer=reviewer, assigned_by=user
                        )
                except IntegrityError:
                    continue  # assigned meanwhile by someone else
                audit.record(
                    app,
                    action="assign_reviewer",
                    label="分配评审专家",
                    user=user,
                    comment=reviewer.get_full_name() or reviewer.username,
                    client_ip=client_ip,
                    state=app.state,
                )
                load[reviewer.pk] += 1
                wanted -= 1
                made.append(assignment)
            if wanted > 0 and per_item is not None:
                refused.append(f"{app}：可分配的评审专家不足，还差 {wanted} 位。")
            refresh_scores(Application.objects.select_for_update().get(pk=app.pk))
    return made, refused


def declare(assignment: ReviewAssignment, *, user: User, recuse: bool, client_ip=None):
    """The reviewer's declaration for one item, once: no conflict of interest, or 回避."""
    if assignment.reviewer_id != user.pk:
        raise WorkflowError("只能为分配给自己的项目作出声明。")
    with transaction.atomic():
        locked = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.declaration:
            raise WorkflowError("已作出声明，不能更改；如有变化请联系市人社局。")
        locked.declaration = Declaration.RECUSED if recuse else Declaration.NONE
        locked.declared_at = timezone.now()
        locked.save(update_fields=["declaration", "declared_at"])
        app = Application.objects.select_for_update().get(pk=locked.application_id)
        audit.record(
            app,
            action="assign_reviewer",
            label="评审专家申请回避" if recuse else "评审专家声明无利益冲突",
            user=user,
            client_ip=client_ip,
            state=app.state,
        )
        if recuse:
            refresh_scores(app)
    return locked


def assigned_items(user: User):
    """What a 评审专家 has to review: their assignments with the item, what is left to do
    first (WORKLIST_ORDER), in one query whatever their number."""
    return (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application", "application__unit", "application__call")
        # What a row shows, not the forms' dozens of fields.
        .only(
            "declaration",
            "scored_at",
            "assigned_at",
            "application__name",
            "application__service_field",
            "application__call__year",
            "application__unit__name",
            "application__unit__short_name",
        )
        .order_by(*WORKLIST_ORDER)
    )


def worklist_counts(user: User) -> dict[str, int]:
    """How many of the reviewer's items stand where ({status: count, "all": total}), each
    counted on the assignments' own index up to COUNT_CAP (then cap + 1), all in one
    statement."""
    mine = ReviewAssignment.objects.filter(reviewer=user)
    statuses = list(ReviewAssignment.Status)
    found = paging.capped_counts(*(mine.filter(ReviewAssignment.status_q(s)) for s in statuses))
    counts = {status.value: n for status, n in zip(statuses, found, strict=True)}
    counts["all"] = min(sum(counts.values()), paging.COUNT_CAP + 1)
    return counts


def assignment_for(user: User, pk: int) -> ReviewAssignment | None:
    return (
        ReviewAssignment.objects.filter(reviewer=user, application_id=pk)
        .select_related("application", "application__call", "application__unit")
        .first()
    )


@dataclasses.dataclass
class Progress:
    reviewers: list  # (reviewer, assigned, declared, recused, submitted)
    items: list  # (application, assigned, submitted, flagged)


def progress(call: Call) -> Progress:
    assignments = ReviewAssignment.objects.filter(application__call=call)
    sheets = set(
        ScoreSheet.objects.filter(application__call=call, submitted_at__isnull=False).values_list(
            "application_id", "reviewer_id"
        )
    )
    by_reviewer, by_item = {}, {}
    for a in assignments.select_related("reviewer", "application"):
        done = (a.application_id, a.reviewer_id) in sheets
        row = by_reviewer.setdefault(a.reviewer_id, [a.reviewer, 0, 0, 0, 0])
        row[1] += 1
        row[2] += bool(a.declaration)
        row[3] += a.declaration == Declaration.RECUSED
        row[4] += done
        item = by_item.setdefault(a.application_id, [a.application, 0, 0, False])
        item[1] += a.declaration != Declaration.RECUSED
        item[2] += done
    for item in by_item.values():
        app = item[0]
        item[3] = app.score_spread is not None and app.score_spread > call.spread_threshold
    return Progress(
        reviewers=sorted(by_reviewer.values(), key=lambda r: r[0].username),
        items=sorted(by_item.values(), key=lambda i: i[0].pk),
    )
