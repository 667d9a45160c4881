"""The bureau's scoring: criteria per call, one sheet per reviewer, mean and spread per item.

A reviewer's total is the weighted share of full marks on a 0–100 scale:
    total = Σ (points / max_points × weight) / Σ weight × 100, exact, rounded half up to 0.01
The item keeps the mean of its reviewers' totals and the spread (highest − lowest) so the
bureau's list can show and sort by them without aggregating thousands of sheets per page.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from applications.models import Application
from records import audit
from shanghai_experts.models import Call, User
from shanghai_experts.states import State

from .engine.workflow import WorkflowError
from .models import DEFAULT_CRITERIA, ReviewAssignment, Score, ScoreSheet, ScoringCriterion

#: The bureau scores an item once it is recommended, and may revise until MOHRSS decides.
SCORABLE_STATES = frozenset({State.RECOMMENDED, State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM})

TWO_PLACES = Decimal("0.01")


def seed_criteria(call: Call) -> list[ScoringCriterion]:
    """Give a call the default criteria when it has none yet."""
    if call.criteria.exists():
        return list(call.criteria.all())
    return ScoringCriterion.objects.bulk_create(
        ScoringCriterion(call=call, name=name, description=text, weight=weight, position=i)
        for i, (name, text, weight) in enumerate(DEFAULT_CRITERIA, start=1)
    )


def weighted_total(criteria, points: dict[int, Decimal]) -> Decimal:
    """The sheet's total, computed exactly (no rounding of a third on the way) and rounded half
    up to 2 places. static/js/score_total.js computes the same on the reviewer's page from the
    same weights and maxima, with whole numbers, so the running total is what is saved."""
    weights = sum(c.weight for c in criteria)
    share = sum(Fraction(Decimal(points[c.pk])) * c.weight / c.max_points for c in criteria)
    hundredths = math.floor(share * 10000 / weights + Fraction(1, 2))
    return (Decimal(hundredths) / 100).quantize(TWO_PLACES)


def parse_points(criteria, raw: dict[str, str]) -> tuple[dict[int, Decimal], dict[int, str]]:
    """Read a reviewer's typed points; return (points, errors by criterion id) in Chinese."""
    points, errors = {}, {}
    for c in criteria:
        text = (raw.get(f"criterion-{c.pk}") or "").strip()
        if not text:
            errors[c.pk] = f"{c.name}：请填写得分。"
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            errors[c.pk] = f"{c.name}：请输入数字，例如 8 或 8.5。"
            continue
        if not value.is_finite() or value < 0 or value > c.max_points:
            errors[c.pk] = f"{c.name}：得分应在 0 到 {c.max_points} 之间。"
        elif value.as_tuple().exponent < -1:
            errors[c.pk] = f"{c.name}：最多保留 1 位小数。"
        else:
            points[c.pk] = value
    return points, errors


def shown_time(moment) -> str:
    """A time as people read it in mail and messages: Beijing time with the date."""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def deadline_refusal(call: Call, now=None) -> str | None:
    """Why a 评审专家 may no longer submit a sheet of `call`: its 评审截止时间 has passed (the
    bureau may set a later one). Drafts may still be saved."""
    deadline = call.review_deadline
    if deadline is None or (now or timezone.now()) <= deadline:
        return None
    return (
        f"评审截止时间（{shown_time(deadline)}）已过，不能再提交评分；"
        "评分草稿仍可保存。如需延期，请联系市人社局。"
    )


def scoring_refusal(app: Application, user: User) -> str | None:
    """Why `user` may not score `app` now: the bureau's own staff may; a 评审专家 only what
    they were assigned, after declaring no conflict of interest."""
    org = user.organisation
    if org is not None and org.is_bureau:
        return None
    if org is None or not org.is_reviewer_panel:
        return "只有市人社局和评审专家可以评分。"
    assignment = ReviewAssignment.objects.filter(application=app, reviewer=user).first()
    if assignment is None:
        return "本项目未分配给您评审。"
    if assignment.declaration == ReviewAssignment.Declaration.RECUSED:
        return "您已申请回避本项目，不能评分。"
    if assignment.declaration != ReviewAssignment.Declaration.NONE:
        return "请先声明与本项目不存在利益冲突，再评分。"
    return None


def record_scores(
    app: Application,
    *,
    reviewer: User,
    points: dict[int, Decimal],
    comment: str = "",
    client_ip=None,
    version: int | None = None,
    submit: bool = True,
) -> ScoreSheet:
    """Save one reviewer's sheet and refresh the item's mean and spread, atomically.

    `version` is the sheet's version on the page it was typed on (0 for a new sheet): a sheet
    saved since, in another tab or browser, makes this save refused. A 评审专家 may save a
    draft (`submit=False`); a submitted sheet is final until the bureau reopens it. The
    bureau's own staff submit with every save, as before.
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=app.pk)
        reason = scoring_refusal(locked, reviewer)
        if reason:
            raise WorkflowError(reason)
        if locked.state not in SCORABLE_STATES:
            raise WorkflowError(f"当前状态为“{locked.get_state_display()}”，不能评分。")
        criteria = list(ScoringCriterion.objects.filter(call_id=locked.call_id))
        if not criteria:
            raise WorkflowError("本批次尚未设置评分项。")
        missing = [c.name for c in criteria if c.pk not in points]
        if missing:
            raise WorkflowError(f"请为每个评分项打分：缺少 {'、'.join(missing)}。")
        for c in criteria:
            if not 0 <= points[c.pk] <= c.max_points:
                raise WorkflowError(f"{c.name}：得分应在 0 到 {c.max_points} 之间。")
        sheet = (
            ScoreSheet.objects.select_for_update()
            .filter(application=locked, reviewer=reviewer)
            .first()
        )
        if version is not None and (sheet.version if sheet else 0) != version:
            raise WorkflowError(
                "评分表在您打开页面后已在别处保存过（可能是另一个浏览器标签页），"
                "请刷新页面查看后再修改。"
            )
        bureau = reviewer.organisation.is_bureau
        if sheet is not None and sheet.submitted_at and not bureau:
            raise WorkflowError("评分表已提交，不能再修改；如需修改，请联系市人社局重新开放。")
        if submit and not bureau:
            late = deadline_refusal(Call.objects.get(pk=locked.call_id))
            if late:
                raise WorkflowError(late)
        total = weighted_total(criteria, points)
        if sheet is None:
            sheet = ScoreSheet(application=locked, reviewer=reviewer)
        sheet.total, sheet.comment = total, comment.strip()
        sheet.version += 1
        if submit or bureau:
            sheet.submitted_at = timezone.now()
        sheet.save()
        _mark_assignment(sheet)
        sheet.scores.all().delete()
        Score.objects.bulk_create(
            Score(sheet=sheet, criterion=c, points=points[c.pk]) for c in criteria
        )
        refresh_scores(locked)
        audit.record(
            locked,
            action="score",
            label="评审评分" if sheet.submitted_at else "保存评分草稿",
            user=reviewer,
            comment=f"加权得分 {total}",
            client_ip=client_ip,
            state=locked.state,
        )
    return sheet


def _mark_assignment(sheet: ScoreSheet) -> None:
    """The reviewer's assignment says whether the sheet is submitted (its list reads that)."""
    ReviewAssignment.objects.filter(
        application_id=sheet.application_id, reviewer_id=sheet.reviewer_id
    ).update(scored_at=sheet.submitted_at)


def refresh_scores(app: Application) -> None:
    """The item's mean and spread over its submitted sheets. While an assigned 评审专家 has not
    submitted, the mean and spread stay empty: nobody reads a partial result."""
    totals = list(
        ScoreSheet.objects.filter(application=app, submitted_at__isnull=False).values_list(
            "total", flat=True
        )
    )
    pending = (
        ReviewAssignment.objects.filter(application=app)
        .exclude(declaration=ReviewAssignment.Declaration.RECUSED)
        .exclude(
            reviewer__in=ScoreSheet.objects.filter(
                application=app, submitted_at__isnull=False
            ).values("reviewer")
        )
        .exists()
    )
    app.score_count = len(totals)
    if totals and not pending:
        app.score_mean = (sum(totals) / len(totals)).quantize(TWO_PLACES, ROUND_HALF_UP)
        app.score_spread = max(totals) - min(totals)
    else:
        app.score_mean = app.score_spread = None
    app.save(update_fields=["score_count", "score_mean", "score_spread", "updated_at"])


def reopen_sheet(sheet: ScoreSheet, *, user: User, reason: str, client_ip=None) -> ScoreSheet:
    """The bureau reopens a submitted sheet so its 评审专家 can revise it."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以重新开放评分表。")
    if not reason.strip():
        raise WorkflowError("重新开放评分表须写明理由。")
    with transaction.atomic():
        locked = ScoreSheet.objects.select_for_update().select_related("reviewer").get(pk=sheet.pk)
        app = Application.objects.select_for_update().get(pk=locked.application_id)
        if locked.submitted_at is None:
            raise WorkflowError("评分表尚未提交。")
        locked.submitted_at = None
        locked.version += 1
        locked.save(update_fields=["submitted_at", "version", "updated_at"])
        _mark_assignment(locked)
        refresh_scores(app)
        audit.record(
            app,
            action="score",
            label="重新开放评分表",
            user=user,
            comment=f"{locked.reviewer.get_full_name() or locked.reviewer.username}：{reason.strip()}",
            client_ip=client_ip,
            state=app.state,
        )
    return locked


def sheets_for(app: Application):
    """Every reviewer's sheet with its points, for the item page (two queries)."""
    return (
        ScoreSheet.objects.filter(application=app)
        .select_related("reviewer__organisation")
        .prefetch_related(
            Prefetch("scores", queryset=Score.objects.order_by("criterion__position", "criterion"))
        )
        .order_by("reviewer__username")
    )
