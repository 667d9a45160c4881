"""Form pieces both forms (附件1 and 附件2) share."""

from __future__ import annotations

import dataclasses

from django.db.models import Q

from .models import Organisation


class StaleVersion(Exception):
    """Someone saved the item after this form was loaded."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One reason the item cannot be submitted yet."""

    field: str  # a field of the item or of the row
    message: str
    section: str | None = None  # a section of rows (附件1's expert roster…) for a row problem
    row_pk: int | None = None

    def describe(self, label: str) -> str:
        return f"{label}：{self.message}"


def recommender_choices(unit: Organisation, *, bureau_directly: bool):
    """Where `unit` may send an item: its district office or a commission, and with
    `bureau_directly` the bureau itself."""
    kinds = Q(kind=Organisation.Kind.COMMISSION)
    if unit.district_id:
        kinds |= Q(pk=unit.district_id)
    if bureau_directly:
        kinds |= Q(kind=Organisation.Kind.MUNICIPAL)
    return Organisation.objects.filter(kinds, is_active=True).order_by("kind", "id")
