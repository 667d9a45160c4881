"""Queries about bases: which are due for assessment, and the priority a commended base gives."""

from __future__ import annotations

from shanghai_experts.models import Call, Organisation
from shanghai_experts.states import State

from .models import Assessment, Base

#: Bases are assessed in the fourth year after their selection (the 2022 intake in 2026).
YEARS_UNTIL_ASSESSMENT = 4


def bases_due(call: Call):
    """Bases whose assessment falls in this call and has not been opened yet."""
    return (
        Base.objects.filter(is_active=True, year_selected=call.year - YEARS_UNTIL_ASSESSMENT)
        .exclude(assessments__call=call)
        .select_related("host_unit")
    )


def _commended(call: Call):
    """Assessments that give 优先支持 to applications to `call`: a base commended in the
    previous year's call (通报表扬 … 在下一年度的服务活动申报中予以优先支持)."""
    return Assessment.objects.filter(state=State.COMMENDED, call__year=call.year - 1)


def commended_units(call: Call) -> set[int]:
    """The units whose applications to `call` have 优先支持: a handful, so lists filter and
    flag by them instead of asking for each item."""
    return set(_commended(call).order_by().values_list("unit_id", flat=True))


def has_priority(unit: Organisation, call: Call) -> bool:
    return _commended(call).filter(unit=unit).exists()


def starting_contact(base: Base) -> dict:
    """What a new 附件2 form of `base` starts from: the registry's 基本信息, and for a contact box
    the registry leaves empty (联系人, 手机, E-mail) the host unit's registration contact."""
    fields = {name: getattr(base, name) for name in Assessment.CONTACT_FIELDS}
    for name, value in base.host_unit.registration_contact().items():
        if not fields[name]:
            fields[name] = value
    return fields
