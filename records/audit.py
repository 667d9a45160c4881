"""The one way into the audit trail: every event, whatever it records, is written by `record`.

A workflow step taken or refused, a ranking or a download, a login or a lockout, the purge:
each says what was done (`action`, `label`), to what (`obj`, or None for an event of no item),
by whom (`user`, or a `username` as typed when there is no such user), from where
(`client_ip`), with what outcome and in which states. Who acted decides the organisation.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from .models import AuditRecord

Outcome = AuditRecord.Outcome
SUCCESS, REFUSED, FAILED = Outcome.SUCCESS, Outcome.REFUSED, Outcome.FAILED

#: The lengths of the record's short fields (a longer value is cut, never refused).
ACTION_LENGTH = AuditRecord._meta.get_field("action").max_length
USERNAME_LENGTH = AuditRecord._meta.get_field("username").max_length


def build(
    obj=None,
    *,
    action: str,
    label: str,
    user=None,
    username: str = "",
    comment: str = "",
    client_ip: str | None = None,
    outcome: str = SUCCESS,
    state: str = "",
    from_state: str | None = None,
    to_state: str | None = None,
) -> AuditRecord:
    """The record of an event, not saved yet (`record` saves one, `record_all` many).

    `state` is the state of an item the event does not move (a ranking, a download): both
    `from_state` and `to_state` then say it. A user that is not logged in is no actor.
    """
    actor = user if user is not None and user.is_authenticated else None
    return AuditRecord(
        content_type=ContentType.objects.get_for_model(type(obj)) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        action=action[:ACTION_LENGTH],
        action_label=label,
        outcome=outcome,
        from_state=state if from_state is None else from_state,
        to_state=state if to_state is None else to_state,
        actor=actor,
        username=(username or (actor.get_username() if actor else ""))[:USERNAME_LENGTH],
        organisation=getattr(actor, "organisation", None),
        comment=comment,
        client_ip=client_ip,
    )


def record(obj=None, **details) -> AuditRecord:
    """Write one event to the audit trail (see `build` for what it says) and return it."""
    entry = build(obj, **details)
    entry.save()
    return entry


def record_all(entries: list[AuditRecord]) -> list[AuditRecord]:
    """Write many events built by `build` at once (a batch import audits each organisation)."""
    return AuditRecord.objects.bulk_create(entries, batch_size=500)
