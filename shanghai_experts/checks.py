"""System checks for a production start (DEBUG off)."""

import ipaddress
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

from .backup import default_directory

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
#: Backends that keep mail on this machine: nobody receives it.
LOCAL_MAIL = {
    CONSOLE: "控制台（服务器日志）",
    "django.core.mail.backends.filebased.EmailBackend": "文件（EMAIL_FILE_PATH）",
    "django.core.mail.backends.locmem.EmailBackend": "内存",
    "django.core.mail.backends.dummy.EmailBackend": "丢弃",
}
#: The permission check stops after this many files and folders (a deploy check stays quick).
MAX_CHECKED_ENTRIES = 20000


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
    errors += mail_settings()
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


def mail_settings() -> list:
    """Mail must leave the machine: a local backend only for a declared demo, SMTP only with a
    server named in the environment."""
    backend = settings.EMAIL_BACKEND
    if backend in LOCAL_MAIL:
        if settings.ALLOW_DEMO_MAIL:
            return []
        return [
            Error(
                f"通知邮件不会发出：EMAIL_BACKEND 是{LOCAL_MAIL[backend]}后端，"
                "激活链接、重设密码和评审结果都到不了用户手里"
                + ("，且会写进服务器日志。" if backend == CONSOLE else "。"),
                hint=f"设置 EMAIL_BACKEND={SMTP} 及 EMAIL_HOST、EMAIL_PORT、EMAIL_HOST_USER、"
                "EMAIL_HOST_PASSWORD、EMAIL_USE_TLS/EMAIL_USE_SSL、DEFAULT_FROM_EMAIL；"
                "仅供演示时设置 ALLOW_DEMO_MAIL=1（make prod-demo 已设置）。",
                id="shanghai_experts.E001",
            )
        ]
    problems = []
    if backend == SMTP and not settings.EMAIL_HOST_EXPLICIT:
        problems.append(
            Error(
                "未设置邮件服务器：EMAIL_HOST 未在环境中给出（默认的 localhost 上通常没有邮件服务）。",
                hint="设置 EMAIL_HOST（及 EMAIL_PORT、EMAIL_HOST_USER、EMAIL_HOST_PASSWORD、"
                "EMAIL_USE_TLS 或 EMAIL_USE_SSL）。",
                id="shanghai_experts.E004",
            )
        )
    encrypted = settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL
    if backend == SMTP and settings.EMAIL_HOST_PASSWORD and not encrypted:
        problems.append(
            Warning(
                "邮件服务器的密码以明文发送（EMAIL_USE_TLS 和 EMAIL_USE_SSL 均未开启）。",
                hint="设置 EMAIL_USE_TLS=1（端口 587）或 EMAIL_USE_SSL=1（端口 465）。",
                id="shanghai_experts.W001",
            )
        )
    return problems


def private_paths() -> dict[str, Path]:
    """What only the service user may read: the secret key, the scans, the backups (password
    hashes and TOTP secrets inside) and, for a demo, the mail folder."""
    paths = {
        "密钥文件": Path(
            os.environ.get("SECRET_KEY_FILE", settings.BASE_DIR / "var" / "secret_key")
        ),
        "盖章扫描件目录": Path(settings.PRIVATE_MEDIA_ROOT),
        "备份目录": default_directory(),
    }
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        paths["邮件目录"] = Path(settings.EMAIL_FILE_PATH)
    return paths


def readable_by_others(root: Path, limit: int = MAX_CHECKED_ENTRIES) -> tuple[list[Path], int]:
    """The entries under `root` (itself included) that the group or other users may read, write
    or enter; and how many entries were looked at (at most `limit`)."""
    found, seen = [], 0
    pending = [root]
    while pending and seen < limit:
        path = pending.pop()
        try:
            info = path.lstat()
        except OSError:
            continue
        seen += 1
        if info.st_mode & 0o077 and not stat.S_ISLNK(info.st_mode):
            found.append(path)
        if stat.S_ISDIR(info.st_mode):
            try:
                pending.extend(sorted(path.iterdir()))
            except OSError:
                continue
    return found, seen


@register(deploy=True)
def private_files(app_configs, **kwargs):
    """Files 0600 and folders 0700, owned by the service user (the service runs with umask 077:
    gunicorn.conf.py, manage.py)."""
    problems = []
    for label, root in private_paths().items():
        if not root.exists():
            continue
        found, seen = readable_by_others(root)
        if not found:
            continue
        examples = "、".join(
            f"{path}（{stat.filemode(path.lstat().st_mode)}）" for path in found[:3]
        )
        problems.append(
            Error(
                f"{label} {root} 中有 {len(found)} 个文件或目录可被同组或其他用户访问"
                f"（检查了 {seen} 个）：{examples}。",
                hint=f"chmod -R go-rwx {root}（make prod-prepare 会自动执行）；"
                "服务以 umask 077 运行，新文件为 0600、新目录为 0700。",
                id="shanghai_experts.E005",
            )
        )
    return problems
