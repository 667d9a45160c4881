"""Two-factor login (等保2.0 三级) with django-otp: TOTP, plus one-time recovery codes.

After the password, the session records what is still owed (`SESSION_KEY`):
- "verify": the user has a device and must enter a code;
- "enrol": the user's role is in REQUIRE_2FA_ROLES and has no device yet;
- "ok": nothing.
The gate (accounts.middleware) reads only the session, so pages cost no extra query. A wrong
code counts towards the same lockout as a wrong password (django-axes).
"""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shanghai_experts.models import User

SESSION_KEY = "two_factor"
OK, VERIFY, ENROL = "ok", "verify", "enrol"
RECOVERY_CODES = 10


def role_of(user: User) -> str:
    if user.organisation_id is None:
        return "admin" if user.is_staff or user.is_superuser else ""
    return user.organisation.kind


def required_for(user: User) -> bool:
    roles = set(settings.REQUIRE_2FA_ROLES)
    if (user.is_staff or user.is_superuser) and "admin" in roles:
        return True
    return role_of(user) in roles


def state_for(user: User) -> str:
    if user_has_device(user):
        return VERIFY
    return ENROL if required_for(user) else OK


def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = state_for(user)


def connect():
    user_logged_in.connect(_on_login, dispatch_uid="accounts.twofactor.login")


def _matching_device(user: User, code: str):
    """The device that accepts `code`, each device checked under its own throttle (django-otp
    slows down repeated failures) and locked against a concurrent check."""
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                return device
    return None


def throttled(user: User) -> bool:
    """True while django-otp makes the user wait after wrong codes (1 s, 2 s, 4 s…)."""
    return any(not device.verify_is_allowed()[0] for device in devices_for_user(user))


def verify(request, code: str):
    """Check a TOTP or recovery code; on success the session is verified. A wrong code is
    reported as a failed login, so axes counts it towards the lockout."""
    user = request.user
    code = "".join(str(code or "").split())
    device = _matching_device(user, code) if code and len(code) <= 16 else None
    if device is None:
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username(), "second_factor": True},
            request=request,
        )
        return None
    otp_login(request, device)
    request.session[SESSION_KEY] = OK
    return device


# --- enrolment --------------------------------------------------------------------------------


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (a fresh secret each enrolment)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (drawn here; no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, for typing into an app by hand, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@transaction.atomic
def confirm_enrolment(request, device: TOTPDevice, code: str) -> list[str] | None:
    """The first code from the app confirms the device; returns fresh recovery codes."""
    code = "".join(str(code or "").split())
    if not (code.isdigit() and device.verify_token(code)):
        user_login_failed.send(
            sender=__name__,
            credentials={"username": request.user.get_username(), "second_factor": True},
            request=request,
        )
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    codes = new_recovery_codes(request.user)
    otp_login(request, device)
    request.session[SESSION_KEY] = OK
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; each works once."""
    static, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "恢复码"})
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
