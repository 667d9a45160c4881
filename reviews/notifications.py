"""Notices of each transition, in Chinese, with a link to the item, through the outbox.

`queue_transition_mail` writes the notice inside the transition's transaction: it exists if and
only if the change does. Sending, retries and the one-recipient rule are the outbox's
(`records.outbox`).
"""

from django.conf import settings

from records.outbox import (  # noqa: F401 (the outbox's own names, for callers that still ask here)
    BACKOFF,
    MAX_ATTEMPTS,
    SHOWN_AFTER,
    failing,
    queue,
    send_after_commit,
    send_due,
    split,
)
from shanghai_experts.models import Organisation, User
from shanghai_experts.states import State

from .models import OutboundMail


def _next_actor_orgs(item) -> list[Organisation]:
    if item.state == State.SUBMITTED and item.recommender_id:
        return [item.recommender]
    if item.state in (State.RECOMMENDED, State.RECTIFICATION_SUBMITTED):
        return list(Organisation.objects.filter(kind=Organisation.Kind.MUNICIPAL))
    return []


def recipients(item) -> list[str]:
    orgs = [*_next_actor_orgs(item), item.unit]
    addresses = set(
        User.objects.filter(organisation__in=orgs, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    contact = getattr(item, "email", "")
    if contact:
        addresses.add(contact)
    return sorted(addresses)


def queue_transition_mail(item, transition, comment: str) -> OutboundMail | None:
    """Write the notice of `transition` to the outbox (call inside the transition's
    transaction); it is sent once the transaction commits."""
    to = recipients(item)
    if not to:
        return None
    url = settings.SITE_URL.rstrip("/") + item.get_absolute_url()
    lines = [
        f"「{item}」（编号 {item.reference}）已{transition.label}，当前状态：{item.get_state_display()}。",
    ]
    if comment:
        lines.append(f"意见：{comment}")
    if item.state == State.RECTIFYING and getattr(item, "rectify_deadline", None):
        lines.append(f"请于 {item.rectify_deadline:%Y年%m月%d日} 前提交整改报告。")
    lines += [
        "",
        f"查看详情：{url}",
        "",
        "上海市专家服务基层项目申报评审系统（本邮件由系统自动发送）",
    ]
    mail = OutboundMail.objects.create(
        recipients=to,
        subject=f"【专家服务基层项目】{item} — {transition.label}"[:200],
        body="\n".join(lines),
    )
    send_after_commit([mail.pk])
    return mail
