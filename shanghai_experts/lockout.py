"""The login lockout: who may try a password now, what the bureau sees on 登录锁定, unlocking.

django-axes records every failed login as a row per (login name, address, browser) with its
count of failures; this module decides from those rows (it is axes' handler, AXES_HANDLER), the
way trusted systems lock, finest first:

1. **the pair** - one login name from one address - after LOGIN_LOCK_PAIR_LIMIT failures;
2. **the address**, for every login name, after LOGIN_LOCK_ADDRESS_LIMIT failures of any names
   from it (password spraying: a few guesses at many names);
3. **the login name**, from every address, only after LOGIN_LOCK_NAME_LIMIT failures from any
   addresses (a distributed attack on one account). A person who has a second factor and types
   the right password still passes a name lock: the code is asked next, and wrong codes count
   like wrong passwords (and lock the pair and the address as any failure does).

Each count covers the failures whose last attempt is within AXES_COOLOFF_TIME. An attempt
refused by a lock is never a failure of the name it typed: one refused by the pair or the name
lock still counts for its address (someone there keeps guessing: spraying rounds lock the
address), one refused by the address lock counts for nothing (a colleague's right password from
a locked office address changes nothing). A successful login forgets its own pair's failures.

Unlocking lifts one lock and leaves the others as they were: a release is a marker row for that
name, address or pair, and the failures before it stop counting for that lock only (they still
count for the other two). The rows it concerns are "sealed" (their browser field is marked) so
that axes adds later failures to new rows, which the lock then counts again. The markers use a
character no HTTP header can carry (WSGI headers are Latin-1), so a client cannot forge them.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat, Left
from django.utils import timezone
from django_otp import user_has_device

PAIR, ADDRESS, USERNAME = "pair", "ip_address", "username"
KINDS = {USERNAME: "登录名", ADDRESS: "来源地址", PAIR: "登录名 + 来源地址"}
#: No HTTP header value contains this character, so neither marker nor seal can be forged.
MARK = "\u27c2"
RELEASE = {kind: f"{MARK}解除锁定:{kind}" for kind in KINDS}


def limits() -> dict[str, int]:
    return {
        PAIR: settings.LOGIN_LOCK_PAIR_LIMIT,
        ADDRESS: settings.LOGIN_LOCK_ADDRESS_LIMIT,
        USERNAME: settings.LOGIN_LOCK_NAME_LIMIT,
    }


def _window_start() -> datetime.datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def parse_address(value: str) -> str | None:
    """The address in its canonical text, or None when `value` is not an IP address."""
    try:
        return str(ipaddress.ip_address(str(value or "").strip()))
    except ValueError:
        return None


def _matches(kind: str, username: str, address: str | None) -> Q:
    if kind == PAIR:
        return Q(username=username, ip_address=address)
    if kind == ADDRESS:
        return Q(ip_address=address)
    return Q(username=username)


def _kinds(username: str, address: str | None) -> list[str]:
    return [
        kind
        for kind, wanted in ((PAIR, username and address), (ADDRESS, address), (USERNAME, username))
        if wanted
    ]


def _released(markers, kind: str, username: str, address: str | None):
    """When this lock was last lifted (within the window), or None."""
    times = [
        at
        for user_agent, name, ip, at in markers
        if user_agent == RELEASE[kind]
        and (kind == ADDRESS or name == username)
        and (kind == USERNAME or parse_address(ip or "") == address)
    ]
    return max(times, default=None)


def failures(username: str, address: str | None) -> dict[str, int]:
    """The failures that count now for the pair, the address and the name (two queries)."""
    username, address = username or "", parse_address(address or "")
    kinds = _kinds(username, address)
    if not kinds:
        return {}
    scope = Q()
    for kind in kinds:
        scope |= _matches(kind, username, address)
    recent = AccessAttempt.objects.filter(scope, attempt_time__gte=_window_start())
    markers = list(
        recent.filter(user_agent__in=RELEASE.values()).values_list(
            "user_agent", "username", "ip_address", "attempt_time"
        )
    )
    sums = {}
    for kind in kinds:
        condition = _matches(kind, username, address)
        released = _released(markers, kind, username, address)
        if released is not None:
            condition &= Q(attempt_time__gt=released)
        sums[kind] = Sum("failures_since_start", filter=condition, default=0)
    return recent.aggregate(**sums)


def reason(
    username: str,
    address: str | None,
    *,
    password: str | None = None,
    second_factor: bool = False,
) -> str | None:
    """Which lock refuses a login attempt now (PAIR, ADDRESS, USERNAME), or None.

    With a name lock only, the person who owns a second factor passes: at the password step
    when `password` (the one typed) is right, and at the code step (`second_factor`)."""
    counts = failures(username, address)
    limit = limits()
    for kind in (PAIR, ADDRESS):
        if counts.get(kind, 0) >= limit[kind]:
            return kind
    if counts.get(USERNAME, 0) >= limit[USERNAME]:
        if second_factor or (password and _second_factor_holder(username, password)):
            return None
        return USERNAME
    return None


def _second_factor_holder(username: str, password: str) -> bool:
    user = get_user_model()._default_manager.filter(username=username, is_active=True).first()
    return bool(user and user_has_device(user, confirmed=True) and user.check_password(password))


class LockoutHandler(AxesDatabaseHandler):
    """django-axes records the failures; the decision to refuse is `reason` above."""

    def is_locked(self, request, credentials=None) -> bool:
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        username = get_client_username(request, credentials) or ""
        password = (credentials or {}).get("password")
        request.lockout_reason = reason(username, request.axes_ip_address, password=password)
        return request.lockout_reason is not None

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """axes records nothing for an attempt refused by a lock
        (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off); one refused by the pair or the
        name lock is recorded for its address only (a row without a login name)."""
        refused_by = getattr(request, "lockout_reason", None)
        if getattr(request, "axes_locked_out", False) and refused_by in (PAIR, USERNAME):
            _count_for_address(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def get_failures(self, request, credentials=None) -> int:
        """Read by axes after it records a failure: at the limit when a lock now holds (the
        number itself is shown nowhere; the 登录锁定 page counts with `locks`)."""
        username = get_client_username(request, credentials) or ""
        second_factor = bool((credentials or {}).get("second_factor"))
        request.lockout_reason = reason(
            username, request.axes_ip_address, second_factor=second_factor
        )
        if request.lockout_reason is not None:
            return settings.AXES_FAILURE_LIMIT
        return 0


def _count_for_address(request) -> None:
    address = request.axes_ip_address
    if not address:
        return
    with transaction.atomic():
        row, created = AccessAttempt.objects.select_for_update().get_or_create(
            username="",
            ip_address=address,
            user_agent=(request.axes_user_agent or "")[:255],
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": (request.axes_http_accept or "")[:1025],
                "path_info": (request.axes_path_info or "")[:255],
                "failures_since_start": 1,
            },
        )
        if not created:
            AccessAttempt.objects.filter(pk=row.pk).update(
                failures_since_start=F("failures_since_start") + 1, attempt_time=timezone.now()
            )


# --- the bureau's 登录锁定 page ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Lock:
    kind: str  # PAIR, ADDRESS or USERNAME
    username: str
    address: str
    failures: int
    last_attempt: datetime.datetime

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def value(self) -> str:
        if self.kind == PAIR:
            return f"{self.username} @ {self.address}"
        return self.username if self.kind == USERNAME else self.address


def _grouped(kind: str, fields: list[str]):
    """The failures that count, grouped by `fields` (the lock's key), with releases applied."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=_window_start()).exclude(
        user_agent__in=RELEASE.values()
    )
    if USERNAME in fields:
        recent = recent.exclude(username__isnull=True).exclude(username="")
    if ADDRESS in fields:
        recent = recent.exclude(ip_address__isnull=True)
    release = (
        AccessAttempt.objects.filter(
            user_agent=RELEASE[kind], **{field: OuterRef(field) for field in fields}
        )
        .order_by("-attempt_time")
        .values("attempt_time")[:1]
    )
    return (
        recent.annotate(released=Subquery(release))
        .filter(Q(released__isnull=True) | Q(attempt_time__gt=F("released")))
        .values(*fields)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limits()[kind])
    )


def locks() -> list[Lock]:
    """Every lock that holds now: pairs, addresses, names; most recent first."""
    found = []
    for kind, fields in ((PAIR, [USERNAME, ADDRESS]), (ADDRESS, [ADDRESS]), (USERNAME, [USERNAME])):
        for row in _grouped(kind, fields):
            found.append(
                Lock(
                    kind,
                    row.get(USERNAME) or "",
                    row.get(ADDRESS) or "",
                    row["failures"],
                    row["last"],
                )
            )
    return sorted(found, key=lambda lock: lock.last_attempt, reverse=True)


@transaction.atomic
def unlock(kind: str, username: str = "", address: str | None = None) -> int:
    """Lift one lock, leaving the others; returns how many failures stopped counting for it
    (0: nothing to lift)."""
    address = parse_address(address or "")
    if kind not in KINDS or kind not in _kinds(username, address):
        return 0
    counted = failures(username, address).get(kind, 0)
    if not counted:
        return 0
    marker, created = AccessAttempt.objects.select_for_update().get_or_create(
        username=username if kind != ADDRESS else None,
        ip_address=address if kind != USERNAME else None,
        user_agent=RELEASE[kind],
        defaults={"failures_since_start": 0},
    )
    if not created:
        AccessAttempt.objects.filter(pk=marker.pk).update(attempt_time=timezone.now())
    # Later failures go to new rows (axes finds a row by its browser field), so the lock
    # counts them again. The seal ends with the row's own id: (name, address, browser) is
    # unique, and two long browser strings could share their first 230 characters.
    AccessAttempt.objects.filter(_matches(kind, username, address)).exclude(
        user_agent__contains=MARK
    ).update(
        user_agent=Concat(
            Left("user_agent", 230), Value(MARK), Cast("id", CharField()), output_field=CharField()
        )
    )
    return counted


def forget_pair(username: str, address: str | None) -> None:
    """A successful login clears the failures of that login name from that address only:
    failures of other names from the address, or of the name from elsewhere, still count."""
    AccessAttempt.objects.filter(username=username, ip_address=address).exclude(
        user_agent__in=RELEASE.values()
    ).delete()
