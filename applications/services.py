"""Creating 附件1 drafts: idempotent, and within the call's per-unit limit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from shanghai_experts.models import Call, Organisation

from .models import Application


class CreationRefused(Exception):
    pass


def creation_refusal(unit: Organisation, call: Call) -> str | None:
    """Why `unit` may not start another application in `call` now, or None."""
    if timezone.now() > call.deadline_for(unit):
        return "本批次申报已截止，不能新建申报。"
    held = Application.objects.filter(unit=unit, call=call).count()
    if held >= call.applications_per_unit:
        return (
            f"每个申报单位本批次限报 {call.applications_per_unit} 个项目，"
            f"本单位已有 {held} 个申报（含草稿），请在已有申报上继续填写。"
        )
    return None


def create_application(*, unit: Organisation, call: Call, token=None) -> tuple[Application, bool]:
    """Create a draft for `unit`; the same `token` (a double click) returns the first one.

    Returns (application, created). Raises CreationRefused when the unit already holds as many
    applications in this call as the call allows.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=unit.pk).first()
        if token is not None:
            existing = Application.objects.filter(unit=unit, creation_token=token).first()
            if existing is not None:
                return existing, False
        refusal = creation_refusal(unit, call)
        if refusal:
            raise CreationRefused(refusal)
        try:
            with transaction.atomic():
                # A new draft's contact boxes start from the unit's registration contact;
                # the unit changes them on the form like any other box.
                app = Application.objects.create(
                    unit=unit, call=call, creation_token=token, **unit.registration_contact()
                )
        except IntegrityError:
            return Application.objects.get(unit=unit, creation_token=token), False
    return app, True
