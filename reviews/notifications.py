"""E-mail sent after each transition, in Chinese, with a link to the item."""

import logging

from django.conf import settings
from django.core.mail import send_mail

from shanghai_experts.models import Organisation, User
from shanghai_experts.states import State

logger = logging.getLogger(__name__)


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


def send_transition_mail(item, transition, comment: str) -> None:
    to = recipients(item)
    if not to:
        return
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
    try:
        send_mail(
            subject=f"【专家服务基层项目】{item} — {transition.label}",
            message="\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=to,
        )
    except Exception:  # a mail outage must not undo a transition that has committed
        logger.exception("通知邮件发送失败：%s", item.reference)
