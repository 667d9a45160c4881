"""What the review engine needs of an item, whichever form it is: the registry of item kinds.

附件1 applications and 附件2 assessments are different models in different apps. The workflow,
the queues, printing, scans and the one edit view (in `reviews`, a floor above both forms) never
ask which one they hold: they use this protocol, and ask the item's kind (``item.item_kind``,
or KINDS by code) for what differs.

A new kind (a completion report, a need) is: its model, with KindOfItem, an ItemQuerySet and the
protocol's methods (WorkflowItem); one ItemKind here, added to KINDS; its Editor (the form
bundle and the words of its edit page) in its app's views, named by ``editor_path``; its pages'
paths in portal.urls (reviews.editing.edit and submit with its kind); its print template.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Protocol

from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils.module_loading import import_string

from .forms import ItemBundle, Problem
from .models import ITEM_RECORD_FIELDS, Call, Organisation
from .states import EDITABLE_STATES, State
from .text import plain_value

#: What every item carries beside the unit's submitted content: its bookkeeping, what its
#: recommender records of it, and the records about it (ITEM_RECORD_FIELDS). A snapshot leaves
#: them out, so the printed fingerprint stays that of what the unit submitted.
NOT_CONTENT = frozenset(
    {
        "id",
        "call",
        "unit",
        "state",
        "version",
        "created_at",
        "updated_at",
        "submitted_at",
        "recommender_opinion",
        "return_opinion",
        "recommender_opinion_date",
        *ITEM_RECORD_FIELDS,
    }
)


def boxes_of(item, *, not_content=()) -> dict:
    """The item's own boxes as plain data (a snapshot's fields): every column but NOT_CONTENT
    and the kind's own `not_content`."""
    skip = NOT_CONTENT | set(not_content)
    return {
        f.name: plain_value(f.value_from_object(item))
        for f in item._meta.concrete_fields
        if f.name not in skip
    }


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
    #: The form's title, as its blank sample is named (专家服务基层示范团项目申报表).
    form_title: str
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
    #: Its edit page, as the dotted path of the form app's `Editor` (this floor imports no
    #: form's app): what the one edit view (reviews.editing) needs of the kind.
    editor_path: str
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
        return apps.get_model(self.model_label)

    @property
    def editor(self) -> Editor:
        return import_string(self.editor_path)

    def __str__(self) -> str:
        return self.label


APPLICATION = ItemKind(
    code="application",
    label="服务团申报",
    form="附件1",
    form_title="专家服务基层示范团项目申报表",
    url_prefix="",
    reference_prefix="ZJ",
    decided_by_bureau=True,
    counts_against_quota=True,
    print_template="pdf/application.html",
    selection_name="selected",
    model_label="applications.Application",
    editor_path="applications.views.EDITOR",
)
ASSESSMENT = ItemKind(
    code="assessment",
    label="服务基地评估",
    form="附件2",
    form_title="专家服务基地动态管理表",
    url_prefix="assessment_",
    reference_prefix="JD",
    decided_by_bureau=False,
    counts_against_quota=False,
    print_template="pdf/assessment.html",
    selection_name="selected_assessment",
    model_label="bases.Assessment",
    url_names=(("act", "act_assessment"),),
    editor_path="bases.views.EDITOR",
)

#: Every kind, by code.
KINDS: dict[str, ItemKind] = {kind.code: kind for kind in (APPLICATION, ASSESSMENT)}


def kind_of(code: str) -> ItemKind:
    """The kind whose code is `code` (KeyError for an unknown one)."""
    return KINDS[code]


@dataclasses.dataclass(frozen=True)
class Editor:
    """A kind's edit page and the page that confirms its submission, as the one edit view
    (reviews.editing) shows them: what differs between the forms, declared by each form's app
    (applications.views.EDITOR, bases.views.EDITOR) and found through ``ItemKind.editor``.

    The two pages are named after `pages`: with "bases:assessment_", the URL names
    bases:assessment_edit and bases:assessment_submit, and the templates
    bases/assessment_edit.html and bases/assessment_submit.html."""

    #: The form with its lists of rows and the page's sections: ``bundle(item)`` shows the
    #: saved item, ``bundle(item, data)`` what was posted.
    bundle: type[ItemBundle]
    pages: str
    #: The name the two templates give the item (app, assessment).
    item_name: str
    #: The message once it is submitted.
    done: Callable[[WorkflowItem], str]
    #: What the confirmation page says was saved again since it was opened (申报表, 本表).
    what: str = "本表"
    #: What the confirmation page shows beside the item (its lists of rows).
    submit_context: Callable[[WorkflowItem], dict] = lambda item: {}

    @property
    def edit_url(self) -> str:
        return f"{self.pages}edit"

    @property
    def submit_url(self) -> str:
        return f"{self.pages}submit"

    @property
    def edit_template(self) -> str:
        return f"{self.pages.replace(':', '/')}edit.html"

    @property
    def submit_template(self) -> str:
        return f"{self.pages.replace(':', '/')}submit.html"


class ItemQuerySet(models.QuerySet):
    """The queries every kind of item answers alike."""

    #: What an item's page and its edit page print about it.
    item_page_related: tuple[str, ...] = ("call", "unit", "recommender")

    def for_item_page(self):
        """With what an item's page and its edit page print about it."""
        return self.select_related(*self.item_page_related)

    def visible_to(self, user):
        """What the user's organisation may see; everything else is a 404. A draft is the
        unit's own until it is submitted; then its recommender and the bureau see it too."""
        org = getattr(user, "organisation", None)
        if org is None:
            return self.none()
        if org.is_unit:
            return self.filter(unit=org)
        if org.is_recommender:
            return self.filter(recommender=org).exclude(state=State.DRAFT)
        if org.is_bureau:
            return self.exclude(state=State.DRAFT)
        return self.none()


class KindOfItem:
    """What an item's model derives from its kind (``item_kind``), written once for every
    kind: the codes the engine reads, its reference number, its page, whether it may change."""

    item_kind: ItemKind
    #: The item's page, a URL name taking its pk (lists link many at once:
    #: shanghai_experts.links.pk_url).
    detail_url_name: str

    @property
    def workflow_kind(self) -> str:
        return self.item_kind.code

    @property
    def counts_against_quota(self) -> bool:
        return self.item_kind.counts_against_quota

    @property
    def selection_name(self) -> str:
        """The name of the queue's selection box for this kind of item."""
        return self.item_kind.selection_name

    @classmethod
    def reference_for(cls, year, pk) -> str:
        """The reference number of item `pk` of the call of `year` (ZJ2026-00002)."""
        return cls.item_kind.reference_for(year, pk)

    @property
    def reference(self) -> str:
        """The reference number printed on the form and quoted in correspondence."""
        return self.reference_for(self.call.year if self.call_id else "----", self.pk)

    def get_absolute_url(self) -> str:
        return reverse(self.detail_url_name, args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


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

    def form_context(self) -> dict:
        """What its print template shows beside the item (its rows, the choices to tick)."""
