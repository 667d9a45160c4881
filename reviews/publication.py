"""公布结果: the bureau announces its decisions on a call's 附件1 items, in stages.

1. 市级评审结果: every item recommended to the bureau has been decided (列入市级服务团,
   拟推荐国家级 or 未入选); units and recommenders learn those decisions.
2. 国家级结果: the Ministry has decided on the national candidates; units and recommenders
   learn the outcome (列入国家级服务团, or 转市级 / 未批准).

Publishing records the state each item was announced in (`published_state`), writes one audit
record per item and one for the stage, and sends one notice to each unit and each recommender
concerned. A published decision changes only through 撤销决定 (reason required), which tells
the unit. The bureau previews who is told what before it confirms.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from applications.models import Application
from records import audit
from records.outbox import send_after_commit
from shanghai_experts.items import WorkflowError
from shanghai_experts.models import Call, User
from shanghai_experts.states import State

from .cautions import with_cautions
from .models import OutboundMail, Publication

Stage = Publication.Stage
SELECTION_STATES = (State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM, State.NOT_SELECTED)
NATIONAL_OUTCOMES = (State.NATIONAL_TEAM, State.MUNICIPAL_TEAM, State.NOT_SELECTED)


@dataclasses.dataclass
class Preview:
    stage: str
    items: list  # the applications to be announced, each with its .cautions
    blocking: str | None  # why it cannot be published yet
    units: int
    recommenders: int
    #: Stage 2: the national candidates still waiting for 人社部's result.
    waiting: list = dataclasses.field(default_factory=list)
    #: What the bureau saw: publishing refuses when the items due have changed since.
    token: str = ""

    @property
    def flagged(self) -> list:
        """The items about to be announced whose scores deserve a second look."""
        return [item for item in self.items if item.cautions]


def preview_token(items) -> str:
    """A short digest of the items due and their versions, carried by the confirmation."""
    seen = ",".join(f"{i.pk}:{i.state}:{i.version}" for i in sorted(items, key=lambda i: i.pk))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def waiting_for_mohrss(call: Call):
    """National candidates announced at stage 1 whose 人社部 result is not yet recorded."""
    return (
        Application.objects.filter(
            call=call, state=State.NATIONAL_CANDIDATE, published_state=State.NATIONAL_CANDIDATE
        )
        .select_related("unit", "recommender")
        .order_by("bureau_rank", "id")
    )


def due(call: Call, stage: str):
    """The items this stage announces (not yet announced in their present state)."""
    qs = Application.objects.filter(call=call).select_related("call", "unit", "recommender")
    if stage == Stage.SELECTION:
        return qs.filter(state__in=SELECTION_STATES, published_state="")
    return qs.filter(published_state=State.NATIONAL_CANDIDATE, state__in=NATIONAL_OUTCOMES)


def blocking(call: Call, stage: str) -> str | None:
    if stage == Stage.SELECTION:
        open_items = Application.objects.filter(call=call, state=State.RECOMMENDED).count()
        if open_items:
            return f"还有 {open_items} 个已推荐的项目尚未作出决定，请全部决定后再公布。"
    else:
        if not call.publications.filter(stage=Stage.SELECTION).exists():
            return "请先公布市级评审结果。"
        waiting = waiting_for_mohrss(call).count()
        if waiting:
            return f"还有 {waiting} 个拟推荐国家级的项目尚未登记人社部结果。"
    return None


def preview(call: Call, stage: str) -> Preview:
    items = list(due(call, stage).order_by("state", "recommender_id", "recommender_rank", "id"))
    # The bureau's own decisions are announced at stage 1: that is when a disputed or thin
    # score deserves a second look. Stage 2 announces the Ministry's outcome.
    if stage == Stage.SELECTION:
        with_cautions(items)
    else:
        for item in items:
            item.cautions = []
    reason = blocking(call, stage)
    if not items and reason is None:
        reason = "没有需要公布的结果。"
    return Preview(
        stage=stage,
        items=items,
        blocking=reason,
        units=len({i.unit_id for i in items}),
        recommenders=len({i.recommender_id for i in items}),
        waiting=list(waiting_for_mohrss(call)) if stage == Stage.NATIONAL else [],
        token=preview_token(items),
    )


def _result_line(item) -> str:
    return f"「{item}」（编号 {item.reference}）：{item.get_state_display()}"


def _queue_notices(items) -> int:
    """One notice to each unit and one to each recommender, listing their items' results."""
    by_org = defaultdict(list)
    for item in items:
        by_org[item.unit_id].append(item)
        by_org[item.recommender_id].append(item)
    addresses = defaultdict(set)
    for org_id, email in (
        User.objects.filter(organisation_id__in=by_org, is_active=True)
        .exclude(email="")
        .values_list("organisation_id", "email")
    ):
        addresses[org_id].add(email)
    for item in items:  # the contact person on the form hears about their own item
        if item.email:
            addresses[item.unit_id].add(item.email)
    queued = []
    base = settings.SITE_URL.rstrip("/")
    for org_id, org_items in by_org.items():
        to = sorted(addresses.get(org_id, ()))
        if not to:
            continue
        lines = [f"{org_items[0].call.year} 年专家服务基层项目评审结果已公布：", ""]
        lines += [_result_line(i) for i in org_items]
        lines += ["", f"查看详情：{base}{reverse('home')}", "", "上海市人力资源和社会保障局"]
        queued.append(
            OutboundMail.objects.create(
                recipients=to,
                subject=f"【专家服务基层项目】{org_items[0].call.year} 年评审结果公布",
                body="\n".join(lines),
            )
        )
    send_after_commit([m.pk for m in queued])
    return len(queued)


def publish(
    *, call: Call, stage: str, user: User, client_ip=None, seen: str | None = None
) -> Publication:
    """Announce a stage. `seen` is the token of the preview the bureau confirmed: when the
    items due have changed since (a decision taken or revoked meanwhile), nothing is
    published."""
    if user.organisation is None or not user.organisation.is_bureau:
        raise WorkflowError("只有市人社局可以公布结果。")
    if stage not in Stage.values:
        raise WorkflowError("未知的公布阶段。")
    with transaction.atomic():
        Call.objects.select_for_update().filter(pk=call.pk).first()
        reason = blocking(call, stage)
        if reason:
            raise WorkflowError(reason)
        items = list(due(call, stage).select_for_update(of=("self",)))
        if not items:
            raise WorkflowError("没有需要公布的结果。")
        if seen is not None and seen != preview_token(items):
            raise WorkflowError(
                "您预览之后，待公布的结果有变化（有项目的决定被更改），"
                "请核对下方最新的名单后再确认公布。"
            )
        for item in items:
            item.published_state = item.state
            item.save(update_fields=["published_state", "updated_at"])
            audit.record(
                item,
                action="publish",
                label="公布结果",
                user=user,
                comment=f"评审结果：{item.get_state_display()}",
                client_ip=client_ip,
                state=item.state,
            )
        publication = Publication.objects.create(
            call=call, stage=stage, published_by=user, items=len(items)
        )
        sent = _queue_notices(items)
        audit.record(
            publication,
            action="publish",
            label="公布结果",
            user=user,
            comment=f"{Stage(stage).label}：{len(items)} 个项目，通知 {sent} 个单位",
            client_ip=client_ip,
        )
    return publication
