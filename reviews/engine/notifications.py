"""Notices of each transition, in Chinese, with a link to the item, through the outbox.

`queue_transition_mail` writes the notice inside the transition's transaction: it exists if and
only if the change does. Sending, retries and the one-recipient rule are the outbox's
(`records.outbox`).
"""

from django.conf import settings

from records import outbox
from shanghai_experts import visibility
from shanghai_experts.models import Organisation, User

from ..models import OutboundMail

#: A transition's `next_actor` when its notice asks nobody but the unit to act.
NOBODY = "nobody"


def next_actor_orgs(item, next_actor: str) -> list[Organisation]:
    """The organisations a transition's notice asks to act next (Transition.next_actor),
    besides the unit: the item's recommender, or the bureau."""
    if next_actor == visibility.RECOMMENDER and item.recommender_id:
        return [item.recommender]
    if next_actor == visibility.BUREAU:
        return list(Organisation.objects.filter(kind=Organisation.Kind.MUNICIPAL))
    return []


def recipients(item, next_actor: str = NOBODY) -> list[str]:
    """Who a transition's notice goes to: the unit's people and the contact of its form, and
    the people of its next actor."""
    orgs = [*next_actor_orgs(item, next_actor), item.unit]
    addresses = set(
        User.objects.filter(organisation__in=orgs, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    contact = getattr(item, "email", "")
    if contact:
        addresses.add(contact)
    return sorted(addresses)


#: A transition's notice: its subject, and the lines around what the transition says.
SUBJECT = "【专家服务基层项目】{item} — {label}"


def queue_transition_mail(item, transition, comment: str) -> OutboundMail | None:
    """Write the notice of `transition` to the outbox (call inside the transition's
    transaction); it is sent once the transaction commits."""
    to = recipients(item, transition.next_actor)
    if not to:
        return None
    url = settings.SITE_URL.rstrip("/") + item.get_absolute_url()
    lines = [
        f"「{item}」（编号 {item.reference}）已{transition.label}，当前状态：{item.get_state_display()}。",
    ]
    if comment:
        lines.append(f"意见：{comment}")
    note = transition.notice_note and transition.notice_note(item)
    if note:
        lines.append(note)
    lines += [
        "",
        f"查看详情：{url}",
        "",
        outbox.SIGNATURE,
    ]
    mail = OutboundMail.objects.create(
        recipients=to,
        subject=SUBJECT.format(item=item, label=transition.label)[:200],
        body="\n".join(lines),
    )
    outbox.send_after_commit([mail.pk])
    return mail
