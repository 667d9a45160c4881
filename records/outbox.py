"""The outbox: every notice is written in the transaction of the change it reports, and sent
after the commit.

A failure waits `BACKOFF[n]` and is tried again by `manage.py send_mail`, up to
`MAX_ATTEMPTS`; the bureau sees the notices that keep failing. Nothing here logs a notice's body
or its recipients.

Every message has one recipient on its To: line, so that a unit and its recommender (or two
colleagues) never learn each other's address from a notice. A notice queued for several
addresses is split, before its first sending, into one outbox row per address, each sent and
retried on its own (one refused address delays nobody else, and nobody gets it twice).
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from .models import OutboundMail

logger = logging.getLogger(__name__)

#: The last line of every notice the system sends.
SIGNATURE = "上海市专家服务基层项目申报评审系统（本邮件由系统自动发送）"

#: Waits before each retry: 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h.
BACKOFF = [60, 300, 1800, 7200, 21600, 43200]
#: After this many failures a notice stops being retried and shows as failed.
MAX_ATTEMPTS = 10
#: From this many failures on, the bureau's page lists the notice.
SHOWN_AFTER = 3


def queue(to: list[str], subject: str, body: str) -> OutboundMail | None:
    """Write any notice (a password reset too) to the outbox; it is sent once the surrounding
    transaction commits, and retried while the mail server is away."""
    to = sorted({address for address in to if address})
    if not to:
        return None
    mail = OutboundMail.objects.create(recipients=to, subject=subject[:200], body=body)
    send_after_commit([mail.pk])
    return mail


def send_after_commit(ids: list[int]) -> None:
    """Send these outbox notices once the surrounding transaction has committed."""
    if ids:
        transaction.on_commit(lambda: send_due(ids=ids))


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def split(mail: OutboundMail) -> list[int]:
    """Make `mail` (locked, unsent) one notice per recipient: it keeps the first address and a
    copy is queued for each other one. Returns the ids of all of them, to be sent in turn."""
    first, *others = mail.recipients
    copies = OutboundMail.objects.bulk_create(
        OutboundMail(
            recipients=[address],
            subject=mail.subject,
            body=mail.body,
            attempts=mail.attempts,
            next_attempt_at=mail.next_attempt_at,
            last_error=mail.last_error,
        )
        for address in others
    )
    mail.recipients = [first]
    mail.save(update_fields=["recipients"])
    return [mail.pk, *(copy.pk for copy in copies)]


def send_due(ids=None, now=None) -> tuple[int, int]:
    """Send the notices that are due (or those of `ids`); returns (sent, failed)."""
    now = now or timezone.now()
    due = OutboundMail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    due = due.filter(pk__in=ids) if ids is not None else due.filter(next_attempt_at__lte=now)
    sent = failed = 0
    connection = get_connection(fail_silently=False)
    pending = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True))
    while pending:
        pk = pending.pop(0)
        with transaction.atomic():
            # Two senders (the commit hook and cron) never send the same notice twice.
            mail = (
                OutboundMail.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if mail is None:
                continue
            if len(mail.recipients) > 1:
                pending[:0] = split(mail)
                continue
            try:
                EmailMessage(
                    mail.subject,
                    mail.body,
                    settings.DEFAULT_FROM_EMAIL,
                    mail.recipients,
                    connection=connection,
                ).send()
            except Exception as exc:  # any failure of the mail server: try again later
                mail.attempts += 1
                mail.last_error = f"{type(exc).__name__}: {exc}"[:300]
                mail.next_attempt_at = timezone.now() + _backoff(mail.attempts)
                mail.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning("通知邮件 #%s 发送失败（第 %s 次）", mail.pk, mail.attempts)
                failed += 1
            else:
                mail.attempts += 1
                mail.sent_at = timezone.now()
                mail.save(update_fields=["attempts", "sent_at"])
                sent += 1
    return sent, failed


def failing():
    """Notices the bureau should look at: unsent after SHOWN_AFTER attempts."""
    return OutboundMail.objects.filter(sent_at__isnull=True, attempts__gte=SHOWN_AFTER)
