"""What the review engine needs of an item, whichever form it is.

附件1 applications and 附件2 assessments are different models in different apps. The workflow,
the queues, printing and scans (in `reviews`, a floor above both forms) never ask which one they
hold: they use this protocol, and each form's model provides it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from .forms import Problem
from .models import Call, Organisation


def fingerprint(snapshot: dict) -> str:
    """A short digest of submitted content (WorkflowItem.snapshot), printed on the form and
    read back from its stamped scan: the same content always gives the same one."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"


class WorkflowError(Exception):
    """A refused transition or review step; the message says why, in Chinese, for the user."""


class WorkflowItem(Protocol):
    #: "application" or "assessment": picks the transitions that apply.
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
