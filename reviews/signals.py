"""Logins, failed logins, logouts and lockouts go into the audit trail; a new call gets the
default score sheet."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save

from records import audit
from records.audit import Outcome
from shanghai_experts import lockout
from shanghai_experts import signals as core_signals
from shanghai_experts.auth import axes_username, clean_username
from shanghai_experts.http import client_ip
from shanghai_experts.lockout import forget_pair
from shanghai_experts.models import Call

from .scoring import seed_criteria


def _record(request, *, action, label, outcome, user=None, username="", comment=""):
    audit.record(
        action=action,
        label=label,
        outcome=outcome,
        user=user,
        username=username,
        comment=comment,
        client_ip=client_ip(request) if request is not None else None,
    )


def logged_in(sender, request, user, **kwargs):
    _record(request, action="login", label="登录", outcome=Outcome.SUCCESS, user=user)
    if request is not None:
        forget_pair(axes_username(request, None) or user.get_username(), client_ip(request))


def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    timeout = getattr(request, "logout_reason", "") == "timeout"
    _record(
        request,
        action="logout",
        label="超时退出" if timeout else "退出",
        outcome=Outcome.SUCCESS,
        user=user,
        comment="30 分钟无操作，会话结束" if timeout else "",
    )


def login_failed(sender, credentials, request=None, **kwargs):
    username = clean_username((credentials or {}).get("username", ""))
    known = get_user_model()._default_manager.filter(username=username).first()
    _record(
        request,
        action="login_failed",
        label="登录失败",
        outcome=Outcome.FAILED,
        user=known,
        username=username,
        comment=(
            "动态验证码错误"
            if (credentials or {}).get("second_factor")
            else "用户名或密码错误"
            if known
            else "用户名不存在"
        ),
    )


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    username = clean_username(username)
    # Which lock refused it, as shanghai_experts.lockout decided for this request (its
    # handler keeps the answer on the request); asked again only for a request without it.
    kind = getattr(request, "lockout_reason", None) or lockout.reason(username, ip_address)
    _record(
        request,
        action="locked_out",
        label="登录锁定",
        outcome=Outcome.REFUSED,
        username=username,
        comment=lock_comment(kind, username, ip_address or ""),
    )


def lock_comment(kind: str | None, username: str, address: str) -> str:
    """The audit's words for the lock that applied, with the count that set it off."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    limit = lockout.limits().get(kind)
    if kind == lockout.PAIR:
        return (
            f"锁定{lockout.KINDS[kind]}：登录名 {username} 从来源地址 {address} 登录失败 "
            f"{limit} 次，该登录名在此地址锁定 {minutes} 分钟（其他地址、其他登录名不受影响）"
        )
    if kind == lockout.ADDRESS:
        return (
            f"锁定{lockout.KINDS[kind]}：来源地址 {address} 登录失败累计 {limit} 次（不论登录名），"
            f"此地址的所有登录名锁定 {minutes} 分钟"
        )
    if kind == lockout.USERNAME:
        return (
            f"锁定{lockout.KINDS[kind]}：登录名 {username} 在各来源地址登录失败累计 {limit} 次，"
            f"该登录名在所有地址锁定 {minutes} 分钟（已绑定动态验证码的本人凭正确密码和验证码"
            "仍可登录）"
        )
    return f"登录失败次数过多，登录名 {username}、来源地址 {address} 锁定 {minutes} 分钟"


def password_changed(sender, user, request, **kwargs):
    _record(request, action="password_change", label="修改密码", outcome=Outcome.SUCCESS, user=user)


def organisation_changed(sender, organisation, user, request, comment, **kwargs):
    _record(
        request,
        action="organisation",
        label="修改本单位信息",
        outcome=Outcome.SUCCESS,
        user=user,
        comment=comment,
    )


def seed_new_call(sender, instance, created, raw=False, **kwargs):
    """A new call starts with the default score sheet (the bureau may change it)."""
    if created and not raw:
        seed_criteria(instance)


def connect():
    post_save.connect(seed_new_call, sender=Call, dispatch_uid="reviews.seed_criteria")
    core_signals.password_changed.connect(password_changed, dispatch_uid="audit.password_change")
    core_signals.organisation_changed.connect(
        organisation_changed, dispatch_uid="audit.organisation"
    )
    user_logged_in.connect(logged_in, dispatch_uid="audit.login")
    user_logged_out.connect(logged_out, dispatch_uid="audit.logout")
    user_login_failed.connect(login_failed, dispatch_uid="audit.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="audit.locked_out")
