"""Logins, failed logins, logouts and lockouts go into the audit trail; a new call gets the
default score sheet."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save

from shanghai_experts import signals as core_signals
from shanghai_experts.auth import axes_username, clean_username
from shanghai_experts.http import client_ip
from shanghai_experts.lockout import forget_pair
from shanghai_experts.models import Call

from .models import AuditRecord
from .scoring import seed_criteria

Outcome = AuditRecord.Outcome


def _record(request, *, action, label, outcome, user=None, username="", comment=""):
    AuditRecord.objects.create(
        action=action,
        action_label=label,
        outcome=outcome,
        actor=user,
        username=(username or (user.get_username() if user else ""))[:150],
        organisation=getattr(user, "organisation", None) if user else None,
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
    _record(
        request,
        action="locked_out",
        label="登录锁定",
        outcome=Outcome.REFUSED,
        username=clean_username(username),
        comment=f"连续登录失败，账号与来源地址 {ip_address or ''} 锁定 30 分钟",
    )


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
