"""Who is locked out of logging in, however the failures were spread, and unlocking.

django-axes counts failures per login name (over every address) and per address (over every
login name), as `AXES_LOCKOUT_PARAMETERS` says; either sum reaching `AXES_FAILURE_LIMIT` within
the cool-off locks. This module reads the same sums, so the bureau sees every lock axes enforces.
"""

from __future__ import annotations

import dataclasses
import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

USERNAME, ADDRESS = "username", "ip_address"
KINDS = {USERNAME: "登录名", ADDRESS: "来源地址"}


@dataclasses.dataclass(frozen=True)
class Lock:
    kind: str  # USERNAME or ADDRESS
    value: str
    failures: int
    last_attempt: datetime.datetime

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _recent():
    return AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )


def locks() -> list[Lock]:
    """Every locked login name and every locked address, most recent first."""
    limit = settings.AXES_FAILURE_LIMIT
    found = []
    for kind in (USERNAME, ADDRESS):
        recent = _recent().exclude(**{f"{kind}__isnull": True})
        if kind == USERNAME:
            recent = recent.exclude(username="")
        rows = (
            recent.values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
        )
        found += [Lock(kind, row[kind], row["failures"], row["last"]) for row in rows]
    return sorted(found, key=lambda lock: lock.last_attempt, reverse=True)


def unlock(kind: str, value: str) -> int:
    """Clear the failures behind one lock; returns how many attempt rows were removed."""
    if kind not in KINDS or not value:
        return 0
    deleted, _ = AccessAttempt.objects.filter(**{kind: value}).delete()
    return deleted


def forget_pair(username: str, address: str | None) -> None:
    """A successful login clears the failures of that login name from that address only:
    failures of other names from the address, or of the name from elsewhere, still count."""
    AccessAttempt.objects.filter(username=username, ip_address=address).delete()
