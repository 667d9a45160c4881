"""Security controls: passwords, login throttling, idle sessions, the audit trail, headers."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import translation

from reviews.models import AuditRecord
from shanghai_experts import settings as project_settings
from shanghai_experts.templatetags.ui import mask_phone

from .factories import PASSWORD, AssessmentFactory, BureauFactory, UnitFactory, UserFactory


def messages_for(password, user=None):
    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return [str(m) for m in exc.messages]
    return []


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Shanghai#2026", None),
        ("zjfw2026!", None),  # lower, digit, symbol: three classes
        ("Ab1!", "密码太短：至少 8 个字符。"),
        (
            "shanghaiexpert",
            "密码须包含大写字母、小写字母、数字、符号中的至少 3 类（还缺：大写字母、数字、符号）。",
        ),
        (
            "SHANGHAI2026",
            "密码须包含大写字母、小写字母、数字、符号中的至少 3 类（还缺：小写字母、符号）。",
        ),
        ("Password1", "这个密码太常见了。"),
    ],
)
def test_password_rules(password, expected):
    found = messages_for(password)
    if expected is None:
        assert found == []
    else:
        assert expected in found


@pytest.mark.django_db
def test_password_not_like_the_username():
    user = UserFactory(username="zhanghua", first_name="张华")
    assert any("相似" in m for m in messages_for("Zhanghua#1", user))


def test_passwords_are_hashed_with_argon2(settings):
    # The suite hashes with MD5 for speed (conftest); the project's own setting is Argon2.
    assert project_settings.PASSWORD_HASHERS[0] == "shanghai_experts.auth.Argon2Hasher"
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    hashed = make_password("Shanghai#2026")
    assert hashed.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Shanghai#2026", hashed)


# --- login throttling ------------------------------------------------------------------------


def attempt(client, username, password, ip="10.1.2.3"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_five_failures_lock_the_name_on_that_address(client):
    """The finest lock first (shanghai_experts.lockout): five failures lock this login name from
    this address; the name elsewhere and colleagues on the address are not locked by them."""
    user = UserFactory(username="ruijin")
    for _ in range(4):
        response = attempt(client, "ruijin", "wrong")
        assert response.status_code == 200 and "请输入一个正确的" in response.content.decode()
    locked = attempt(client, "ruijin", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已锁定" in page and "30 分钟后自动解除" in page
    assert attempt(client, "ruijin", PASSWORD).status_code == 429
    assert attempt(client, "ruijin", PASSWORD, ip="10.9.9.9").status_code == 302
    client.logout()
    other = UserFactory(username="fudan")
    assert attempt(client, "fudan", PASSWORD).status_code == 302
    assert AuditRecord.objects.filter(action="login_failed", username="ruijin").count() >= 5
    assert AuditRecord.objects.filter(action="locked_out").exists()
    assert user.pk and other.pk


@pytest.mark.django_db
def test_the_bureau_unlocks(client):
    UserFactory(username="ruijin")
    for _ in range(5):
        attempt(client, "ruijin", "wrong")
    assert attempt(client, "ruijin", PASSWORD).status_code == 429
    bureau = UserFactory(organisation=BureauFactory())
    client.force_login(bureau)
    page = client.get(reverse("reviews:lockouts")).content.decode()
    assert "ruijin" in page
    client.post(
        reverse("reviews:lockouts"),
        {"kind": "pair", "username": "ruijin", "address": "10.1.2.3"},
    )
    assert AuditRecord.objects.filter(action="unlock", actor=bureau).exists()
    client.logout()
    assert attempt(client, "ruijin", PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["reviews:lockouts", "reviews:audit"])
def test_security_pages_are_the_bureaus(client, page):
    for org in (UnitFactory(), UnitFactory().district):
        client.force_login(UserFactory(organisation=org))
        assert client.get(reverse(page)).status_code == 404


# --- sessions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_ends_after_30_idle_minutes(client, login):
    user = UserFactory(organisation=UnitFactory())
    login(user)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "timeout=1" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "已超过 30 分钟未操作" in page
    assert client.get(reverse("home")).status_code == 302  # logged out for good
    record = AuditRecord.objects.get(action="logout")
    assert (record.action_label, record.actor) == ("超时退出", user)


@pytest.mark.django_db
def test_an_active_session_stays(client, login):
    login(UserFactory(organisation=UnitFactory()))
    session = client.session
    session["last_seen"] = int(time.time()) - 29 * 60
    session.save()
    assert client.get(reverse("home")).status_code == 200
    assert client.session["last_seen"] > time.time() - 5  # touched again


@pytest.mark.django_db
def test_session_cookie_ends_with_the_browser(client, login):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    user = UserFactory(organisation=UnitFactory())
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


# --- the audit trail -----------------------------------------------------------------------


@pytest.mark.django_db
def test_logins_and_logouts_are_audited(client, login):
    user = UserFactory(organisation=UnitFactory())
    attempt(client, user.username, "wrong", ip="10.0.0.8")
    attempt(client, "nobody", "wrong", ip="10.0.0.8")
    login(user)
    client.post(reverse("logout"))
    rows = list(
        AuditRecord.objects.order_by("id").values_list("action", "outcome", "username", "comment")
    )
    assert rows[0] == ("login_failed", "failed", user.username, "用户名或密码错误")
    assert rows[1] == ("login_failed", "failed", "nobody", "用户名不存在")
    assert [r[:2] for r in rows[2:]] == [("login", "success"), ("logout", "success")]
    assert AuditRecord.objects.get(action="login").organisation == user.organisation
    assert AuditRecord.objects.filter(client_ip="10.0.0.8").count() == 2


@pytest.mark.django_db
def test_audit_records_cannot_be_changed_or_deleted(client):
    user = UserFactory(organisation=UnitFactory())
    client.force_login(user)
    client.post(reverse("logout"))
    record = AuditRecord.objects.get(action="logout")
    record.comment = "改过"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.update(comment="x")
    admin = site._registry[AuditRecord]
    assert not admin.has_change_permission(None) and not admin.has_delete_permission(None)


@pytest.mark.django_db
def test_bureau_filters_the_audit_log(client):
    unit_user = UserFactory(organisation=UnitFactory(name="上海市某某医院"))
    attempt(client, unit_user.username, "wrong")
    client.force_login(unit_user)
    client.post(reverse("logout"))
    bureau = UserFactory(organisation=BureauFactory())
    client.force_login(bureau)
    page = client.get(reverse("reviews:audit"), {"action": "login_failed"}).content.decode()
    assert "登录失败" in page and "用户名或密码错误" in page and "退出</td>" not in page
    page = client.get(reverse("reviews:audit"), {"q": "某某医院"}).content.decode()
    assert "退出" in page
    page = client.get(reverse("reviews:audit"), {"since": "二〇二六"}).content.decode()
    assert "起始日期：请输入日期" in page


# --- headers and deployment ----------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_and_csp(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts():
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in text.split("<script")[1:]:
            assert "src=" in tag.split(">")[0], path
        assert " onclick=" not in text and " onload=" not in text, path


PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "zjfw.example.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.gov.cn",
    "SITE_URL": "https://zjfw.example.gov.cn",
}


def check_deploy(**overrides):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for live_server; production never does.
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_BACKEND", "EMAIL_HOST", "SITE_URL"}
        and k != "ALLOW_DEMO_MAIL"
    }
    env = {**base, **PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **overrides}
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_refuses_console_mail_and_a_loopback_site_url_by_default():
    result = check_deploy(EMAIL_BACKEND=None, SITE_URL=None)
    assert result.returncode != 0
    assert "shanghai_experts.E001" in result.stderr and "shanghai_experts.E002" in result.stderr
    # Declared a demo (ALLOW_DEMO_MAIL, as make prod-demo does), both are the operator's decision.
    explicit = check_deploy(
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        ALLOW_DEMO_MAIL="1",
        SITE_URL="http://127.0.0.1:8000",
    )
    assert explicit.returncode == 0, explicit.stdout + explicit.stderr


def test_check_deploy_refuses_a_short_audit_retention():
    result = check_deploy(AUDIT_RETENTION_DAYS="30")
    assert result.returncode != 0 and "shanghai_experts.E003" in result.stderr


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("021-63588888", "021-****8888"),
        ("021-63588888-123", "021-*******8-123"),
        ("", ""),
        ("12", "**"),
    ],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.django_db
def test_lists_mask_phones_and_item_pages_show_them(client, call):
    # Submitted: a draft is the unit's own (test_drafts_stay_private).
    item = AssessmentFactory(call=call, mobile="13912345678", state="recommended")
    item.base.mobile = "13912345678"
    item.base.save()
    client.force_login(UserFactory(organisation=BureauFactory()))
    registry = client.get(reverse("bases:list")).content.decode()
    assert "139****5678" in registry and "13912345678" not in registry
    detail = client.get(reverse("bases:assessment", args=[item.pk])).content.decode()
    assert "13912345678" in detail


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database-level guard is PostgreSQL's"
)
def test_the_database_refuses_to_change_audit_records(client):
    user = UserFactory(organisation=UnitFactory())
    client.force_login(user)
    record = AuditRecord.objects.get(action="login")
    for sql in (
        "UPDATE reviews_auditrecord SET comment = 'x' WHERE id = %s",
        "DELETE FROM reviews_auditrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    assert AuditRecord.objects.filter(pk=record.pk, comment="").exists()
