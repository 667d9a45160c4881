"""Accounts: registration and its approval, activation links, colleagues.

Every change here runs in a transaction with an audit record, and every notice goes through the
outbox (records.outbox), so a notice exists if and only if the change does.
"""

from __future__ import annotations

import contextlib
import datetime
import zlib

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from records import outbox
from records.audit import REFUSED, SUCCESS, record
from records.models import AuditRecord, OutboundMail
from shanghai_experts.http import client_ip
from shanghai_experts.models import Organisation, User

from .tokens import activation_token

Approval = Organisation.Approval


class AccountError(Exception):
    """An account action that is not allowed; the message is for the user."""


# --- audit and mail ---------------------------------------------------------------------------


def audit(request, action: str, label: str, *, target=None, comment: str = "", user=None, ok=True):
    return record(
        target,
        action=action,
        label=label,
        outcome=SUCCESS if ok else REFUSED,
        user=user if user is not None else getattr(request, "user", None),
        comment=comment,
        client_ip=client_ip(request) if request is not None else None,
    )


#: The first key of this module's PostgreSQL advisory locks (the second is the limited key).
ADVISORY_NAMESPACE = 24_024


def _serialise(key: str) -> None:
    """Hold a transaction-scoped lock on `key`: a second request for the same key waits here
    until the first commits, so what it counts includes what the first wrote. On PostgreSQL an
    advisory lock (no row needed); SQLite (development) serialises every writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [ADVISORY_NAMESPACE, zlib.crc32(key.encode()) - 2**31],
            )


@contextlib.contextmanager
def limited(request, action: str, limit: int):
    """A transaction in which this client address is alone with `action`: yields whether it
    is still under `limit` an hour. Everything done inside, and its audit record, is counted
    by the next request from the address, however many arrive together."""
    with transaction.atomic():
        _serialise(f"{action}:{client_ip(request)}")
        yield recent_attempts(request, action) < limit


def recent_attempts(request, action: str, hours: int = 1) -> int:
    """How many times this client address did `action` in the last `hours` (from the audit,
    so the count is shared by every server process)."""
    since = timezone.now() - datetime.timedelta(hours=hours)
    return AuditRecord.objects.filter(
        action=action, client_ip=client_ip(request), created_at__gte=since
    ).count()


def mail(to: list[str], subject: str, lines: list[str]) -> OutboundMail | None:
    """Queue a notice; it is sent once the surrounding transaction commits."""
    to = sorted({address for address in to if address})
    if not to:
        return None
    message = OutboundMail.objects.create(
        recipients=to, subject=f"【专家服务基层项目】{subject}"[:200], body="\n".join(lines)
    )
    outbox.send_after_commit([message.pk])
    return message


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def activation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = activation_token.make_token(user)
    return site_link(reverse("accounts:activate", args=[uid, token]))


def activation_mail(user: User, *, reason: str) -> OutboundMail | None:
    """The one-time link that sets the first password (or confirms a registration)."""
    days = settings.ACCOUNT_ACTIVATION_DAYS
    return mail(
        [user.email],
        "账号激活",
        [
            f"{user.get_full_name() or user.username}，您好：",
            "",
            reason,
            f"登录名：{user.username}",
            "",
            f"请在 {days} 天内打开下面的链接激活账号"
            + ("。" if user.has_usable_password() else "，并设置您自己的密码。"),
            activation_link(user),
            "",
            "链接只能使用一次。如果这不是您本人的操作，请忽略本邮件。",
            "",
            outbox.SIGNATURE,
        ],
    )


# --- registration -----------------------------------------------------------------------------


def approvers(unit: Organisation) -> list[Organisation]:
    """Who may approve a registered unit: its district office and the bureau."""
    orgs = list(Organisation.objects.filter(kind=Organisation.Kind.MUNICIPAL))
    if unit.district_id:
        orgs.append(unit.district)
    return orgs


@transaction.atomic
def register_unit(request, data: dict) -> User:
    """A unit registers itself: a pending organisation and its first account."""
    unit = Organisation.objects.create(
        kind=Organisation.Kind.UNIT,
        name=data["name"],
        uscc=data["uscc"],
        district=data["district"],
        commission=data.get("commission"),
        email=data["email"],
        contact_name=data["contact_name"],
        contact_mobile=data["mobile"],
        approval=Approval.PENDING,
        registered_at=timezone.now(),
    )
    user = User(
        username=data["username"],
        first_name=data["contact_name"],
        email=data["email"],
        phone=data["mobile"],
        organisation=unit,
        is_org_admin=True,
        awaiting_activation=True,
    )
    user.set_password(data["password"])
    user.save()
    audit(request, "register", "单位注册", target=unit, user=user, comment=unit.name)
    activation_mail(user, reason=f"「{unit.name}」已在本系统注册，等待所在区人社局或市人社局审核。")
    staff = User.objects.filter(organisation__in=approvers(unit), is_active=True).exclude(email="")
    mail(
        list(staff.values_list("email", flat=True)),
        f"新单位注册待审核：{unit.name}",
        [
            f"「{unit.name}」（统一社会信用代码 {unit.uscc}，{unit.district}）已注册，等待审核。",
            f"审核：{site_link(reverse('accounts:approvals'))}",
            "",
            outbox.SIGNATURE,
        ],
    )
    return user


def pending_for(org: Organisation):
    """Registrations this recommender or the bureau may decide on."""
    qs = Organisation.objects.filter(kind=Organisation.Kind.UNIT).select_related(
        "district", "commission"
    )
    if org.is_bureau:
        return qs
    if org.kind == Organisation.Kind.DISTRICT:
        return qs.filter(district=org)
    return qs.none()


def registrations(org: Organisation, approval: str):
    """The registrations (self-registered units) `org` may decide on, in one 注册审核 state:
    what its 注册审核 list shows and its home page counts."""
    return pending_for(org).filter(approval=approval, registered_at__isnull=False)


@transaction.atomic
def decide_registration(request, unit: Organisation, *, approve: bool, reason: str = "") -> None:
    unit = Organisation.objects.select_for_update().get(pk=unit.pk)
    if unit.approval != Approval.PENDING:
        raise AccountError("该单位的注册已经审核过。")
    if not approve and not reason.strip():
        raise AccountError("不予通过时请填写原因。")
    unit.approval = Approval.APPROVED if approve else Approval.REJECTED
    unit.rejection_reason = "" if approve else reason.strip()
    unit.save(update_fields=["approval", "rejection_reason"])
    label = "注册审核通过" if approve else "注册审核不通过"
    audit(request, "approve_unit" if approve else "reject_unit", label, target=unit, comment=reason)
    holders = User.objects.filter(organisation=unit, is_active=True)
    lines = [
        f"「{unit.name}」的注册{'已通过' if approve else '未通过'}审核（{request.user.organisation}）。"
    ]
    if approve:
        lines.append("现在可以登录系统，填写申报表。")
        if holders.filter(awaiting_activation=True).exists():
            lines.append("请先打开注册时收到的激活邮件中的链接，激活账号。")
    else:
        lines += [f"原因：{unit.rejection_reason}", "如有疑问，请联系所在区人社局。"]
    lines += ["", f"登录：{site_link(reverse('login'))}", "", outbox.SIGNATURE]
    mail([unit.email, *holders.values_list("email", flat=True)], label, lines)


# --- activation -------------------------------------------------------------------------------


@transaction.atomic
def activate(request, user: User, password: str | None = None) -> None:
    """The activation link was used: set the first password if there is none yet."""
    if password is not None:
        user.set_password(password)
    user.awaiting_activation = False
    user.must_change_password = False
    user.save()
    audit(request, "activate", "激活账号", target=user.organisation, user=user)


def not_yet_activated(prefix: str = "") -> Q:
    """Active accounts whose owner has not yet set a password through the activation link."""
    return Q(
        **{f"{prefix}is_active": True, f"{prefix}password__startswith": UNUSABLE_PASSWORD_PREFIX}
    )


# --- colleagues -------------------------------------------------------------------------------


def colleagues_of(org: Organisation):
    return User.objects.filter(organisation=org).order_by("-is_active", "id")


@transaction.atomic
def invite_colleague(request, data: dict) -> User:
    org = request.user.organisation
    user = User(
        username=data["username"],
        first_name=data["name"],
        email=data["email"],
        phone=data.get("mobile", ""),
        organisation=org,
    )
    user.set_unusable_password()
    user.save()
    audit(
        request, "invite", "邀请同事", target=org, comment=f"{user.username}（{user.first_name}）"
    )
    activation_mail(
        user,
        reason=f"{request.user.get_full_name() or request.user.username} 邀请您使用「{org.name}」的账号。",
    )
    return user


@transaction.atomic
def set_colleague_active(request, colleague: User, active: bool) -> None:
    if colleague.pk == request.user.pk:
        raise AccountError("不能停用自己的账号。")
    colleague.is_active = active
    colleague.save(update_fields=["is_active"])
    audit(
        request,
        "enable_user" if active else "disable_user",
        "启用同事账号" if active else "停用同事账号",
        target=colleague.organisation,
        comment=colleague.username,
    )


def resends_for(user: User) -> int:
    """Activation mails re-sent to this account in the last hour (by anyone)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    return AuditRecord.objects.filter(
        action="resend_activation",
        outcome=AuditRecord.Outcome.SUCCESS,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=user.organisation_id,
        comment=user.username,
        created_at__gte=since,
    ).count()


def resend_activation(request, user: User) -> None:
    """重发激活邮件: at most ACTIVATION_RESENDS_PER_HOUR to one account and
    ACTIVATION_RESENDS_PER_ADDRESS_PER_HOUR from one client address, also under concurrency
    (both counts are read under a lock on the account and on the address). A refusal is
    audited too, and counts towards the address's limit."""
    if not (user.awaiting_activation or not user.has_usable_password()):
        raise AccountError("该账号已经激活。")
    with transaction.atomic():
        _serialise(f"resend_activation:{client_ip(request)}")
        _serialise(f"resend_activation:user:{user.pk}")
        if resends_for(user) >= settings.ACTIVATION_RESENDS_PER_HOUR:
            refused = (
                f"激活邮件一小时内已重发 {settings.ACTIVATION_RESENDS_PER_HOUR} 次，请先查看邮箱"
                "（包括垃圾邮件箱），稍后再试；邮箱填写有误的，请联系所在区人社局。"
            )
        elif (
            recent_attempts(request, "resend_activation")
            >= settings.ACTIVATION_RESENDS_PER_ADDRESS_PER_HOUR
        ):
            refused = "从当前网络地址重发激活邮件的次数过多，请一小时后再试。"
        else:
            refused = ""
        audit(
            request,
            "resend_activation",
            "重发激活邮件",
            target=user.organisation,
            comment=f"{user.username}（超过频率限制）" if refused else user.username,
            ok=not refused,
        )
        if not refused:
            activation_mail(user, reason="应您的要求，重新发送激活链接。")
    if refused:
        raise AccountError(refused)
