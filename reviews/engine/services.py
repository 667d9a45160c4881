"""Bureau and recommender steps that are not state changes: ranking, funding, extensions.

Each runs in a transaction on locked rows and leaves an audit record, like a transition.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from applications.models import Application
from bases.models import Assessment
from bases.services import bases_due, starting_contact
from records import audit
from shanghai_experts.models import (
    Call,
    DeadlineExtension,
    Organisation,
    RecommenderQuota,
    User,
)
from shanghai_experts.states import RECOMMENDED_STATES, State
from shanghai_experts.text import plain_number
from shanghai_experts.validators import date_problem, money_problem

from .workflow import WorkflowError


def ranked_recommendations(call: Call, recommender: Organisation):
    return (
        Application.objects.filter(call=call, recommender=recommender, state=State.RECOMMENDED)
        .select_related("unit")
        .order_by("recommender_rank", "id")
    )


def _apply_order(items, ordered_pks, *, field, action, label, refusal, user, client_ip):
    """Give `items` (locked) the ranks 1, 2, … in the order of `ordered_pks`, auditing each
    change. The order must name every item exactly once, or nothing changes."""
    current = {item.pk: item for item in items}
    if sorted(ordered_pks) != sorted(current):
        raise WorkflowError(refusal)
    # Clear first, so a unique constraint on the rank holds at every step.
    Application.objects.filter(pk__in=ordered_pks).update(**{field: None})
    for rank, pk in enumerate(ordered_pks, start=1):
        Application.objects.filter(pk=pk).update(**{field: rank})
        before = getattr(current[pk], field)
        if before != rank:
            audit.record(
                current[pk],
                action=action,
                label=label,
                user=user,
                comment=f"排序 {before or '—'} → {rank}",
                client_ip=client_ip,
                state=current[pk].state,
            )


def set_ranking(*, call: Call, user: User, ordered_pks: list[int], client_ip=None) -> None:
    """The recommender's order of its recommended items (优中选优), until its deadline."""
    org = user.organisation
    if org is None or not (org.is_recommender or org.is_bureau):
        raise WorkflowError("只有推荐单位可以排序。")
    if timezone.now() > call.deadline_for(org):
        raise WorkflowError("已过推荐截止时间，排序不能再修改。")
    with transaction.atomic():
        _apply_order(
            list(ranked_recommendations(call, org).select_for_update()),
            ordered_pks,
            field="recommender_rank",
            action="rank",
            label="调整推荐排序",
            refusal="排序须包含且只包含本单位已推荐、尚待市人社局决定的全部项目。",
            user=user,
            client_ip=client_ip,
        )


FUNDED_STATES = {State.NATIONAL_TEAM: "national", State.MUNICIPAL_TEAM: "municipal"}


def record_funding(
    app: Application, *, user: User, granted: Decimal, support: Decimal | None, client_ip=None
) -> Application:
    """The funding granted (never above the final category's cap) and the bureau's 配套支持."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以登记资助经费。")
    with transaction.atomic():
        locked = Application.objects.select_for_update().select_related("call").get(pk=app.pk)
        category = FUNDED_STATES.get(locked.state)
        if category is None:
            raise WorkflowError("只有列入国家级或市级服务团的项目才能登记资助经费。")
        cap = locked.call.cap_for(category)
        for label, amount in (("资助经费", granted), ("配套支持", support)):
            problem = money_problem(amount, label) if amount is not None else None
            if problem:
                raise WorkflowError(problem)
        if granted > cap:
            label = "国家级" if category == "national" else "市级"
            raise WorkflowError(f"资助经费：{label}服务团不超过 {plain_number(cap)} 万元。")
        locked.funding_granted, locked.bureau_support = granted, support
        locked.save(update_fields=["funding_granted", "bureau_support", "updated_at"])
        audit.record(
            locked,
            action="funding",
            label="登记资助经费",
            user=user,
            comment=f"资助 {plain_number(granted)} 万元；配套支持 "
            f"{plain_number(support) if support is not None else 0} 万元",
            client_ip=client_ip,
            state=locked.state,
        )
    return locked


def grant_extension(
    *, call: Call, organisation: Organisation, deadline, reason: str, user: User, client_ip=None
) -> DeadlineExtension:
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以延长截止时间。")
    if not reason.strip():
        raise WorkflowError("延长截止时间须写明理由。")
    problem = date_problem(deadline, call.year, "延长至")
    if problem:
        raise WorkflowError(problem)
    with transaction.atomic():
        extension, _ = DeadlineExtension.objects.update_or_create(
            call=call,
            organisation=organisation,
            defaults={"deadline": deadline, "reason": reason.strip(), "granted_by": user},
        )
        audit.record(
            extension,
            action="extend",
            label="延长截止时间",
            user=user,
            comment=f"{organisation}：延长至 {timezone.localtime(deadline):%Y-%m-%d %H:%M}；{reason}",
            client_ip=client_ip,
        )
    return extension


def set_quota(
    *, call: Call, organisation: Organisation, quota: int, reason: str, user: User, client_ip=None
) -> RecommenderQuota:
    """The bureau raises (or restores) one recommender's quota of recommended service teams."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以调整推荐名额。")
    if not organisation.is_recommender:
        raise WorkflowError("只能为区人社局或委、办、局调整推荐名额。")
    if quota < 1:
        raise WorkflowError("推荐名额至少为 1 个。")
    if not reason.strip():
        raise WorkflowError("调整推荐名额须写明理由。")
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        used = Application.objects.filter(
            call=call, recommender=organisation, state__in=RECOMMENDED_STATES
        ).count()
        if quota < used:
            raise WorkflowError(f"{organisation}已推荐 {used} 个服务团，名额不能少于 {used} 个。")
        before = call.quota_for(organisation)
        record, _ = RecommenderQuota.objects.update_or_create(
            call=call,
            organisation=organisation,
            defaults={"quota": quota, "reason": reason.strip()},
        )
        audit.record(
            record,
            action="quota",
            label="调整推荐名额",
            user=user,
            comment=f"{organisation}：{before} → {quota} 个；{reason.strip()}",
            client_ip=client_ip,
        )
    return record


def set_direct_limit(
    *, call: Call, limit: int | None, reason: str, user: User, client_ip=None
) -> Call:
    """The bureau's own limit on 特贴-led projects sent to it directly; None: no limit."""
    bureau = user.organisation
    if bureau is None or not bureau.is_bureau:
        raise WorkflowError("只有市人社局可以设置直报上限。")
    if not reason.strip():
        raise WorkflowError("设置直报上限须写明理由。")
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        used = Application.objects.filter(
            call=call, recommender=bureau, state__in=RECOMMENDED_STATES
        ).count()
        if limit is not None and limit < used:
            raise WorkflowError(f"已受理直报项目 {used} 个，上限不能少于 {used} 个。")
        before = locked.direct_limit
        locked.direct_limit = limit
        locked.save(update_fields=["direct_limit"])
        audit.record(
            locked,
            action="quota",
            label="设置特贴直报上限",
            user=user,
            comment=f"{before if before is not None else '不限'} → "
            f"{limit if limit is not None else '不限'}；{reason.strip()}",
            client_ip=client_ip,
        )
    return locked


def quota_usage(call: Call, recommender: Organisation) -> tuple[int, int | None]:
    """(recommended so far, the quota) of one recommender; a quota of None has no limit."""
    used = Application.objects.filter(
        call=call, recommender=recommender, state__in=RECOMMENDED_STATES
    ).count()
    return used, call.quota_for(recommender)


def quota_table(call: Call):
    """Each recommender with its quota and how many it has recommended, for the bureau."""

    used = dict(
        Application.objects.filter(call=call, state__in=RECOMMENDED_STATES)
        .values_list("recommender_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    raised = {q.organisation_id: q for q in call.quotas.all()}
    rows = []
    for org in Organisation.objects.filter(
        Q(kind__in=Organisation.RECOMMENDER_KINDS), is_active=True
    ).order_by("kind", "id"):
        record = raised.get(org.pk)
        rows.append(
            {
                "organisation": org,
                "quota": record.quota if record else call.recommender_quota,
                "reason": record.reason if record else "",
                "used": used.get(org.pk, 0),
            }
        )
    return rows


#: Candidates for the national list, and teams MOHRSS approved from it.
NATIONAL_STATES = (State.NATIONAL_CANDIDATE, State.NATIONAL_TEAM)

#: The bureau's order of them: its explicit ranks, then those not yet placed by mean score.
NATIONAL_ORDER = (
    F("bureau_rank").asc(nulls_last=True),
    F("score_mean").desc(nulls_last=True),
    "id",
)


def national_candidates(call: Call):
    """The national recommendation list in the bureau's order."""
    return (
        Application.objects.filter(call=call, state__in=NATIONAL_STATES)
        .select_related("unit", "recommender")
        .order_by(*NATIONAL_ORDER)
    )


def set_national_order(*, call: Call, user: User, ordered_pks: list[int], client_ip=None) -> None:
    """The bureau's order of the national candidates it recommends to MOHRSS."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以排列推荐国家级的顺序。")
    with transaction.atomic():
        _apply_order(
            list(national_candidates(call).select_for_update(of=("self",))),
            ordered_pks,
            field="bureau_rank",
            action="national_rank",
            label="调整推荐国家级排序",
            refusal="排序须包含且只包含全部拟推荐国家级的项目。",
            user=user,
            client_ip=client_ip,
        )


def open_assessments(*, call: Call, user: User, bases=None, client_ip=None) -> list[Assessment]:
    """The bureau opens the 附件2 forms of the bases due; each starts from the registry."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以发起基地评估。")
    due = bases_due(call)
    if bases is not None:
        due = due.filter(pk__in=[b.pk for b in bases])
    opened = []
    with transaction.atomic():
        for base in due.select_for_update(of=("self",)):
            unit = base.host_unit
            assessment = Assessment.objects.create(
                call=call,
                base=base,
                unit=unit,
                recommender_id=unit.district_id,
                **starting_contact(base),
            )
            audit.record(
                assessment,
                action="open",
                label="发起基地评估",
                user=user,
                comment=f"{base.name}（{base.get_level_display()}，{base.year_selected}年入选）",
                client_ip=client_ip,
                state=State.DRAFT,
            )
            opened.append(assessment)
    return opened
