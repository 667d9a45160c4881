"""What the review engine needs of an item, whichever form it is.

附件1 applications and 附件2 assessments are different models in different apps. The workflow,
the queues, printing and scans (in `reviews`, a floor above both forms) never ask which one they
hold: they use this protocol, and each form's model provides it.
"""

from __future__ import annotations

from typing import Protocol

from .forms import Problem
from .models import Call, Organisation


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
