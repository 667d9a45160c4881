"""Retention (PIPL, 等保2.0): what is kept, for how long, and what is then removed.

- Audit records (who, when, what, from where, outcome) are never changed or deleted; they are
  kept for at least AUDIT_RETENTION_DAYS (default and minimum 190).
- The content submitted with an event (SubmittedContent) holds personal data: contacts'
  names, phones and e-mail, experts' names and mobiles. Once the event is older than
  AUDIT_RETENTION_DAYS those values are replaced by PSEUDONYM, once, and the purge is audited.
  The rest of the content (names of teams, places, money) stays for the history.
- Expired sessions and login-failure rows past the lockout's cool-off are deleted, and stored
  PDFs (they print contacts and mobiles) older than the period.

`purge()` is idempotent: run it daily from cron (`manage.py purge_expired`).
"""

from __future__ import annotations

import dataclasses
import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from records import audit
from shanghai_experts import signals as core_signals

from ..models import RenderedPdf, SubmittedContent

PSEUDONYM = "（已脱敏）"
#: Keys of a snapshot, and of its expert rows, that hold personal data.
PERSONAL_KEYS = ("contact_name", "office_phone", "mobile", "email")
PERSONAL_ROW_KEYS = {"experts": ("name", "mobile")}


@dataclasses.dataclass
class PurgeReport:
    sessions: int = 0
    login_attempts: int = 0
    pseudonymised: int = 0
    stored_pdfs: int = 0
    #: What the other apps deleted (shanghai_experts.signals.purging): {what: how many}.
    others: dict = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        others = "".join(f"，删除{what} {n} 份" for what, n in self.others.items())
        return (
            f"清除过期会话 {self.sessions} 个、过期登录记录 {self.login_attempts} 条，"
            f"脱敏提交内容 {self.pseudonymised} 份，删除过期的已生成打印表 {self.stored_pdfs} 份"
            f"{others}。"
        )


def pseudonymise(data: dict) -> dict:
    cleaned = dict(data)
    for key in PERSONAL_KEYS:
        if cleaned.get(key):
            cleaned[key] = PSEUDONYM
    for section, keys in PERSONAL_ROW_KEYS.items():
        cleaned[section] = [
            {k: (PSEUDONYM if k in keys and v else v) for k, v in row.items()}
            for row in cleaned.get(section) or []
        ]
        if section not in data:
            del cleaned[section]
    return cleaned


def retention_cutoff(now=None) -> datetime.datetime:
    days = max(settings.AUDIT_RETENTION_DAYS, settings.AUDIT_RETENTION_MIN_DAYS)
    return (now or timezone.now()) - datetime.timedelta(days=days)


def purge(now=None) -> PurgeReport:
    now = now or timezone.now()
    report = PurgeReport()
    report.sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    stale = now - settings.AXES_COOLOFF_TIME
    report.login_attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=stale).delete()
    cutoff = retention_cutoff(now)
    AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    # Stored PDFs print contacts and mobiles; past the period they go (a download renders
    # the form again from what is left).
    for rendered in RenderedPdf.objects.filter(created_at__lt=cutoff).iterator():
        rendered.file.delete(save=False)
        rendered.delete()
        report.stored_pdfs += 1
    for _receiver, answer in core_signals.purging.send(sender=None, now=now, cutoff=cutoff):
        if answer:
            what, count = answer
            report.others[what] = report.others.get(what, 0) + count
    due = SubmittedContent.objects.filter(purged_at__isnull=True, record__created_at__lt=cutoff)
    with transaction.atomic():
        for content in due.select_for_update().iterator(chunk_size=500):
            content.data = pseudonymise(content.data)
            content.purged_at = now
            content.save(update_fields=["data", "purged_at"])
            report.pseudonymised += 1
        if report.pseudonymised:
            audit.record(
                action="purge",
                label="到期数据脱敏",
                comment=(
                    f"保留期 {settings.AUDIT_RETENTION_DAYS} 天届满：{report.pseudonymised} 份"
                    f"提交内容中的联系人、电话、邮箱及专家姓名、手机已脱敏（{cutoff:%Y-%m-%d} 之前）。"
                ),
            )
    return report
