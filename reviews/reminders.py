"""Reminders before each deadline of the call, to those who have still to act.

N days before (the call's 截止提醒, default 3 and 1):
- a unit with a draft or a returned form, before its deadline (an extension moves it);
- a recommender with items still to decide (受理, 推荐 or 不予推荐), before its deadline;
- a base's unit whose rectification report is not in, before the 整改期限.

Each goes once per deadline and day (reviews.DeadlineReminder, claimed in the notice's own
transaction, so two runs never both send it), and never to those who have acted: who has
still to act is asked at the moment of sending. Reached late (an extension granted two days
before), an organisation gets one reminder, the nearest day's, not one per day passed. Run by
beat every few minutes (reviews.tasks.queue_reminders), or `manage.py send_notices`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from bases.models import Assessment
from records import outbox
from shanghai_experts.models import Call, DeadlineExtension, Organisation, User
from shanghai_experts.states import EDITABLE_STATES, State

from .models import DeadlineReminder
from .scoring import shown_time

#: Items a recommender still has to decide on.
TO_DECIDE = frozenset({State.SUBMITTED, State.UNDER_REVIEW})
#: The kinds of item a unit or a recommender handles.
ITEM_MODELS = (Application, Assessment)


def due_days(deadline: datetime.datetime, days: list[int], now: datetime.datetime) -> int | None:
    """The nearest reminder day already reached before `deadline`, or None (past it, or not
    yet within the furthest day)."""
    if now >= deadline:
        return None
    reached = [d for d in days if now >= deadline - datetime.timedelta(days=d)]
    return min(reached) if reached else None


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _addresses(organisation: Organisation) -> list[str]:
    return list(
        User.objects.filter(organisation=organisation, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _send(kind, organisation, deadline, days, object_id, still_to_act, subject, body) -> bool:
    """Claim the reminder and write its notice, in one transaction; False when it was sent
    before (or is being sent by another run) or there is nothing left to act on."""
    with transaction.atomic():
        if not still_to_act():
            return False
        try:
            with transaction.atomic():
                DeadlineReminder.objects.create(
                    kind=kind,
                    organisation=organisation,
                    object_id=object_id,
                    deadline=deadline,
                    days=days,
                )
        except IntegrityError:
            return False
        if DeadlineReminder.objects.filter(
            kind=kind,
            organisation=organisation,
            object_id=object_id,
            deadline=deadline,
            days__lt=days,
        ).exists():
            return False  # a nearer day's reminder went already: this one is not news
        outbox.queue(_addresses(organisation), subject, body)
    return True


def _extensions(call: Call) -> dict[int, datetime.datetime]:
    return dict(DeadlineExtension.objects.filter(call=call).values_list("organisation", "deadline"))


def _deadline(default, extension):
    return max(default, extension) if extension else default


def _counts(call: Call, field: str, states) -> Counter:
    counts: Counter = Counter()
    for model in ITEM_MODELS:
        for org_id in model.objects.filter(call=call, state__in=states).values_list(
            field, flat=True
        ):
            if org_id:
                counts[org_id] += 1
    return counts


@dataclasses.dataclass(frozen=True)
class _Duty:
    """Those who have items to act on before their deadline: a unit its forms to submit, a
    recommender the items to decide. Its words say what and where."""

    kind: str
    field: str  # the item's organisation that acts: unit_id or recommender_id
    states: frozenset
    deadline: Callable[[Call], datetime.datetime]
    subject: str  # with {day} and {count}
    lines: tuple[str, ...]  # with {call}, {deadline} and {count}
    link: tuple[str, str]  # (label, URL name)


DUTIES = (
    _Duty(
        kind=DeadlineReminder.Kind.UNIT,
        field="unit",
        states=EDITABLE_STATES,
        deadline=lambda call: call.unit_deadline,
        subject="【专家服务基层项目】申报截止提醒：还有 {day} 天，{count} 份材料未提交",
        lines=(
            "{call.year}年专家服务基层项目申报截止时间为 {deadline}（北京时间），"
            "本单位还有 {count} 份申报材料尚未提交（草稿或退回修改）。",
            "截止后不能再提交。请及时完成填写并提交至推荐单位；已不再申报的，可不予理会。",
        ),
        link=("登录系统", "home"),
    ),
    _Duty(
        kind=DeadlineReminder.Kind.RECOMMENDER,
        field="recommender",
        states=TO_DECIDE,
        deadline=lambda call: call.recommender_deadline,
        subject="【专家服务基层项目】推荐截止提醒：还有 {day} 天，{count} 个项目待处理",
        lines=(
            "推荐单位报送截止时间为 {deadline}（北京时间），还有 {count} 个项目待受理或待决定是否推荐。",
            "截止后不能再推荐。请在截止前审核，推荐（填写推荐单位意见）或不予推荐。",
        ),
        link=("待审项目", "reviews:queue"),
    ),
)


def _remind(duty: _Duty, call, days, now) -> int:
    sent = 0
    extensions = _extensions(call)
    for org_id, count in _counts(call, f"{duty.field}_id", duty.states).items():
        deadline = _deadline(duty.deadline(call), extensions.get(org_id))
        day = due_days(deadline, days, now)
        if day is None:
            continue
        organisation = Organisation.objects.get(pk=org_id)
        if organisation.is_bureau:
            continue  # 特贴专家 items sent straight to the bureau: it decides them as it reviews

        def still(organisation=organisation):
            return any(
                m.objects.filter(
                    call=call, state__in=duty.states, **{duty.field: organisation}
                ).exists()
                for m in ITEM_MODELS
            )

        words = {"call": call, "deadline": shown_time(deadline), "count": count}
        label, url_name = duty.link
        body = "\n".join(
            [
                f"{organisation}：",
                "",
                *(line.format(**words) for line in duty.lines),
                f"{label}：{_site(reverse(url_name))}",
                "",
                outbox.SIGNATURE,
            ]
        )
        subject = duty.subject.format(day=day, count=count)
        sent += _send(duty.kind, organisation, deadline, day, 0, still, subject, body)
    return sent


def _remind_rectifications(call, days, now) -> int:
    sent = 0
    local = timezone.get_current_timezone()
    rectifying = Assessment.objects.filter(
        call=call, state=State.RECTIFYING, rectify_deadline__isnull=False
    ).select_related("unit", "base")
    for assessment in rectifying:
        # 整改期限 is a date: the report is due by the end of that day, Shanghai time.
        end = datetime.datetime.combine(
            assessment.rectify_deadline + datetime.timedelta(days=1), datetime.time(), local
        )
        day = due_days(end, days, now)
        if day is None:
            continue

        def still(pk=assessment.pk):
            return Assessment.objects.filter(pk=pk, state=State.RECTIFYING).exists()

        body = "\n".join(
            [
                f"{assessment.unit}：",
                "",
                f"专家服务基地“{assessment.base}”的整改期限为 "
                f"{assessment.rectify_deadline:%Y年%-m月%-d日}，整改报告尚未提交。",
                "请在期限内提交整改报告；逾期未整改的，按通知规定处理。",
                f"整改报告：{_site(reverse('bases:rectification', args=[assessment.pk]))}",
                "",
                outbox.SIGNATURE,
            ]
        )
        subject = f"【专家服务基层项目】整改期限提醒：还有 {day} 天"
        sent += _send(
            DeadlineReminder.Kind.RECTIFICATION,
            assessment.unit,
            end,
            day,
            assessment.pk,
            still,
            subject,
            body,
        )
    return sent


def queue_reminders(now: datetime.datetime | None = None) -> int:
    """Write the reminders that are due to the outbox; returns how many were written."""
    now = now or timezone.now()
    sent = 0
    for call in Call.objects.all():
        days = call.reminder_day_list
        if not days:
            continue
        for duty in DUTIES:
            sent += _remind(duty, call, days, now)
        sent += _remind_rectifications(call, days, now)
    return sent
