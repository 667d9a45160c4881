"""The bureau's scoring: criteria per call, one sheet per reviewer, mean and spread per item.

A reviewer's total is the weighted share of full marks on a 0–100 scale:
    total = Σ (points / max_points × weight) / Σ weight × 100
The item keeps the mean of its reviewers' totals and the spread (highest − lowest) so the
bureau's list can show and sort by them without aggregating thousands of sheets per page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch

from applications.models import Application
from shanghai_experts.models import Call, User
from shanghai_experts.states import State

from .models import DEFAULT_CRITERIA, Score, ScoreSheet, ScoringCriterion
from .services import audit
from .workflow import WorkflowError

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
    weights = sum(c.weight for c in criteria)
    share = sum(Decimal(points[c.pk]) / c.max_points * c.weight for c in criteria)
    return (share / weights * 100).quantize(TWO_PLACES, ROUND_HALF_UP)


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


def record_scores(
    app: Application,
    *,
    reviewer: User,
    points: dict[int, Decimal],
    comment: str = "",
    client_ip=None,
) -> ScoreSheet:
    """Save one reviewer's sheet and refresh the item's mean and spread, atomically."""
    if reviewer.organisation is None or not reviewer.organisation.is_bureau:
        raise WorkflowError("只有市人社局的评审人可以评分。")
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=app.pk)
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
        total = weighted_total(criteria, points)
        sheet, _ = ScoreSheet.objects.update_or_create(
            application=locked,
            reviewer=reviewer,
            defaults={"total": total, "comment": comment.strip()},
        )
        sheet.scores.all().delete()
        Score.objects.bulk_create(
            Score(sheet=sheet, criterion=c, points=points[c.pk]) for c in criteria
        )
        totals = list(ScoreSheet.objects.filter(application=locked).values_list("total", flat=True))
        locked.score_count = len(totals)
        locked.score_mean = (sum(totals) / len(totals)).quantize(TWO_PLACES, ROUND_HALF_UP)
        locked.score_spread = max(totals) - min(totals)
        locked.save(update_fields=["score_count", "score_mean", "score_spread", "updated_at"])
        audit(
            locked,
            action="score",
            label="评审评分",
            user=reviewer,
            comment=f"加权得分 {total}",
            client_ip=client_ip,
            state=locked.state,
        )
    return sheet


def sheets_for(app: Application):
    """Every reviewer's sheet with its points, for the item page (two queries)."""
    return (
        ScoreSheet.objects.filter(application=app)
        .select_related("reviewer")
        .prefetch_related(
            Prefetch("scores", queryset=Score.objects.order_by("criterion__position", "criterion"))
        )
        .order_by("reviewer__username")
    )
