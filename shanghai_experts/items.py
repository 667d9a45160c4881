"""What the review engine needs of an item, whichever form it is.

附件1 applications and 附件2 assessments are different models in different apps. The workflow,
the queues, printing and scans (in `reviews`, a floor above both forms) never ask which one they
hold: they use this protocol, and each form's model provides it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Protocol

from django.urls import reverse

from .forms import Problem
from .models import Call, Organisation


def fingerprint(snapshot: dict) -> str:
    """A short digest of submitted content (WorkflowItem.snapshot), printed on the form and
    read back from its stamped scan: the same content always gives the same one."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"


@dataclasses.dataclass(frozen=True)
class ItemKind:
    """One kind of item the engine handles: what differs between the forms, declared once.

    The engine, the lists, printing and the exports ask the item's kind (``item.item_kind``)
    for a capability, never which form it is. A new kind (a completion report, a need) is one
    more instance registered here.
    """

    #: The stored value of ``workflow_kind`` and of the transitions' ``kinds``.
    code: str
    #: What a person calls it (服务团申报, 服务基地评估).
    label: str
    #: The notice's name of its form (附件1, 附件2).
    form: str
    #: Prefix of its URL names in the review engine (reviews:upload_scan,
    #: reviews:assessment_upload_scan).
    url_prefix: str
    #: The reference number's letters (ZJ2026-00002, JD2026-00002).
    reference_prefix: str
    #: Whether the bureau selects among such items, with scores, reviewers and a published
    #: result (附件1); a base assessment is decided without them.
    decided_by_bureau: bool
    #: Whether recommending it uses the recommender's quota.
    counts_against_quota: bool
    #: Its print template.
    print_template: str
    #: The queue's selection box for this kind.
    selection_name: str
    #: The model, as "app_label.ModelName" (this floor imports no form's app).
    model_label: str
    #: URL names that do not follow `url_prefix`, as (name, its own name): 附件2's workflow
    #: actions are reviews:act_assessment.
    url_names: tuple[tuple[str, str], ...] = ()

    def url(self, name: str, *args) -> str:
        """The review engine's URL `name` for an item of this kind (upload_scan, note, act…)."""
        full = dict(self.url_names).get(name, f"{self.url_prefix}{name}")
        return reverse(f"reviews:{full}", args=args)

    def reference_for(self, year, pk) -> str:
        return f"{self.reference_prefix}{year}-{pk or 0:05d}"

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model(self.model_label)

    def __str__(self) -> str:
        return self.label


APPLICATION = ItemKind(
    code="application",
    label="服务团申报",
    form="附件1",
    url_prefix="",
    reference_prefix="ZJ",
    decided_by_bureau=True,
    counts_against_quota=True,
    print_template="pdf/application.html",
    selection_name="selected",
    model_label="applications.Application",
)
ASSESSMENT = ItemKind(
    code="assessment",
    label="服务基地评估",
    form="附件2",
    url_prefix="assessment_",
    reference_prefix="JD",
    decided_by_bureau=False,
    counts_against_quota=False,
    print_template="pdf/assessment.html",
    selection_name="selected_assessment",
    model_label="bases.Assessment",
    url_names=(("act", "act_assessment"),),
)

#: Every kind, by code.
KINDS: dict[str, ItemKind] = {kind.code: kind for kind in (APPLICATION, ASSESSMENT)}


def kind_of(code: str) -> ItemKind:
    """The kind whose code is `code` (KeyError for an unknown one)."""
    return KINDS[code]


class WorkflowError(Exception):
    """A refused transition or review step; the message says why, in Chinese, for the user."""


class WorkflowItem(Protocol):
    #: Its kind: what differs between the forms (see ItemKind).
    item_kind: ItemKind
    #: item_kind.code: picks the transitions that apply.
    workflow_kind: str
    #: Whether recommending it uses the recommender's quota.
    counts_against_quota: bool
    call: Call
    unit: Organisation
    recommender: Organisation | None
    state: str
    version: int

    def submission_problems(self) -> list[Problem]:
        """Why it cannot be submitted yet, box by box (empty when it can)."""

    def unit_limit_problem(self) -> str | None:
        """Why the unit may not submit another such item now, or None."""

    def snapshot(self) -> dict:
        """The submitted content as plain data: the history's diff and the fingerprint."""

    def change_label(self, key: str) -> str:
        """The label of a snapshot key, as the history's list of changed boxes shows it."""
