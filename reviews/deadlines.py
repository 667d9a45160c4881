"""The review deadline (评审截止时间) the bureau sets on the call, and the reminders before it.

- The bureau sets, moves or clears the deadline with a reason (audited on the call). After it,
  a 评审专家 can no longer submit a sheet (reviews.scoring.deadline_refusal) until the bureau
  sets a later one.
- `queue_reminders` (run by `manage.py send_notices` from cron every minute) writes one notice
  per reviewer to the outbox when the deadline is `REVIEW_REMINDER_HOURS` hours away (by
  default 48 and 24) and the reviewer still has items neither submitted nor declined (回避).
  Each reminder goes once: the assignment records the smallest threshold it was reminded at,
  claimed (rows locked, re-checked, marked) in the same transaction as the notice, so two runs
  at the same time never both send it. A reviewer reached late (the deadline set 20 h ahead) gets one
  reminder, not one per threshold passed. Moving the deadline clears the record: the new
  deadline is reminded of in its turn.
- One run handles at most REMINDER_BATCH reviewers (a query, an UPDATE and an outbox row each);
  the others wait for the next minute.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from records import audit, outbox
from shanghai_experts.models import Call, User

from .engine.workflow import WorkflowError
from .models import ReviewAssignment
from .scoring import SCORABLE_STATES, shown_time

#: Reviewers reminded in one run at most (the rest wait a minute).
REMINDER_BATCH = 200
#: Items named in one reminder at most (the rest are counted).
ITEMS_LISTED = 20


def reminder_hours() -> list[int]:
    """The thresholds, largest first: REVIEW_REMINDER_HOURS in settings (default 48, 24)."""
    hours = getattr(settings, "REVIEW_REMINDER_HOURS", (48, 24))
    return sorted({int(h) for h in hours if int(h) > 0}, reverse=True)


shown = shown_time


def set_review_deadline(
    *, call: Call, deadline: datetime.datetime | None, reason: str, user: User, client_ip=None
) -> Call:
    """The bureau sets (or clears, with None) the call's 评审截止时间, with a reason."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以设置评审截止时间。")
    if not reason.strip():
        raise WorkflowError("设置评审截止时间须写明理由。")
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        before = locked.review_deadline
        if before == deadline:
            raise WorkflowError("评审截止时间没有变化。")
        locked.review_deadline = deadline
        locked.save(update_fields=["review_deadline"])
        # The reminders of the old deadline do not stand for the new one.
        ReviewAssignment.objects.filter(
            application__call=locked, reminded_hours__isnull=False
        ).update(reminded_hours=None)
        audit.record(
            locked,
            action="review_deadline",
            label="设置评审截止时间",
            user=user,
            comment=f"{shown(before) if before else '未设置'} → "
            f"{shown(deadline) if deadline else '未设置'}；{reason.strip()}",
            client_ip=client_ip,
        )
    return locked


def open_assignments(call: Call):
    """The assignments of `call` whose sheet is still to come: not submitted, not 回避, the item
    still scorable, the reviewer still active."""
    return ReviewAssignment.objects.filter(
        application__call=call,
        application__state__in=SCORABLE_STATES,
        scored_at__isnull=True,
        reviewer__is_active=True,
    ).exclude(declaration=ReviewAssignment.Declaration.RECUSED)


def due_threshold(call: Call, now: datetime.datetime) -> int | None:
    """The smallest threshold already reached before the call's deadline, or None (no deadline,
    past it, or not yet within the largest threshold)."""
    deadline = call.review_deadline
    if deadline is None or now >= deadline:
        return None
    reached = [h for h in reminder_hours() if now >= deadline - datetime.timedelta(hours=h)]
    return min(reached) if reached else None


def queue_reminders(now: datetime.datetime | None = None) -> int:
    """Write the reminders that are due to the outbox; returns how many were written."""
    now = now or timezone.now()
    hours = reminder_hours()
    if not hours:
        return 0
    written = 0
    calls = Call.objects.filter(
        review_deadline__gt=now,
        review_deadline__lte=now + datetime.timedelta(hours=hours[0]),
    )
    for call in calls:
        threshold = due_threshold(call, now)
        if threshold is None:
            continue
        unreminded = Q(reminded_hours__isnull=True) | Q(reminded_hours__gt=threshold)
        reviewer_ids = list(
            open_assignments(call)
            .filter(unreminded)
            .order_by("reviewer_id")
            .values_list("reviewer_id", flat=True)
            .distinct()[: REMINDER_BATCH - written]
        )
        for reviewer_id in reviewer_ids:
            written += _remind(call, reviewer_id, threshold, unreminded)
        if written >= REMINDER_BATCH:
            break
    return written


def _remind(call: Call, reviewer_id: int, threshold: int, unreminded: Q) -> int:
    """One reviewer's reminder, recorded on their open assignments in the same transaction."""
    with transaction.atomic():
        mine = open_assignments(call).filter(reviewer_id=reviewer_id)
        # The claim: the rows locked in one order, then marked. A concurrent run waits on the
        # locks, then finds the rows marked and writes nothing.
        claimed = list(
            mine.filter(unreminded)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not claimed:
            return 0
        ReviewAssignment.objects.filter(pk__in=claimed).update(reminded_hours=threshold)
        reviewer = User.objects.get(pk=reviewer_id)
        if not reviewer.email:
            return 0  # marked all the same: nothing to send to
        names = list(
            mine.order_by("application_id").values_list("application__name", flat=True)[
                : ITEMS_LISTED + 1
            ]
        )
        total = mine.count()
        listed = [f"· {name}" for name in names[:ITEMS_LISTED]]
        if total > ITEMS_LISTED:
            listed.append(f"……另有 {total - ITEMS_LISTED} 个")
        url = settings.SITE_URL.rstrip("/") + reverse("reviews:my_reviews")
        body = "\n".join(
            [
                f"{reviewer.get_full_name() or reviewer.username}：",
                "",
                f"评审截止时间为 {shown(call.review_deadline)}（北京时间），"
                f"您还有 {total} 个项目尚未提交评分：",
                *listed,
                "",
                "截止后不能再提交评分。请在截止前完成利益冲突声明和评分；如存在利益冲突，请申请回避。",
                f"评审任务：{url}",
                "",
                outbox.SIGNATURE,
            ]
        )
        outbox.queue(
            [reviewer.email],
            f"【专家服务基层项目】评审截止提醒：{total} 个项目待提交评分",
            body,
        )
    return 1
