"""System checks for a production start (DEBUG off)."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

CONSOLE = "django.core.mail.backends.console.EmailBackend"


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register(deploy=True)
def production_settings(app_configs, **kwargs):
    errors = []
    if settings.DEBUG:
        return errors
    if settings.EMAIL_BACKEND == CONSOLE and not settings.EMAIL_BACKEND_EXPLICIT:
        errors.append(
            Error(
                "通知邮件会写进服务器日志（控制台后端），其中有联系方式和评审意见。",
                hint="设置 EMAIL_BACKEND（及 EMAIL_HOST 等）为真实的邮件服务器；"
                "确需控制台后端时显式设置 EMAIL_BACKEND。",
                id="shanghai_experts.E001",
            )
        )
    if _loopback(settings.SITE_URL) and not settings.SITE_URL_EXPLICIT:
        errors.append(
            Error(
                f"通知邮件中的链接指向本机地址 {settings.SITE_URL}。",
                hint="设置 SITE_URL 为用户访问本系统的地址，例如 https://zjfw.rsj.sh.gov.cn。",
                id="shanghai_experts.E002",
            )
        )
    if settings.AUDIT_RETENTION_DAYS < settings.AUDIT_RETENTION_MIN_DAYS:
        errors.append(
            Error(
                f"AUDIT_RETENTION_DAYS={settings.AUDIT_RETENTION_DAYS} 少于等保要求的 "
                f"{settings.AUDIT_RETENTION_MIN_DAYS} 天。",
                id="shanghai_experts.E003",
            )
        )
    return errors
