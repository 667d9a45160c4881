"""推荐报送: a recommender's side of the paper trail.

The notice asks each 委办局 and 区人社局 to 函报 its written materials to the bureau by the
deadline, 注明联系人姓名、电话、手机. Here the recommender records that contact for the call
(a precondition of its first 推荐, reviews.engine.workflow.contact_recorded), prints its 推荐函, and
the bureau records that the paper arrived, per recommender or per item.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string

from applications.models import Application
from bases.models import Assessment
from records import audit
from shanghai_experts.items import WorkflowError
from shanghai_experts.models import Call, Organisation
from shanghai_experts.states import ASSESSED_STATES, RECOMMENDED_STATES

from ..models import RecommenderFiling
from . import printing


def filing_for(call: Call, org: Organisation) -> RecommenderFiling:
    """The recommender's record for the call (unsaved and empty if it has none yet); a new
    call starts from the contact of the previous one."""
    filing = RecommenderFiling.objects.filter(call=call, organisation=org).first()
    if filing is not None:
        return filing
    earlier = (
        RecommenderFiling.objects.filter(organisation=org, call__year__lt=call.year)
        .order_by("-call__year")
        .first()
    )
    return RecommenderFiling(
        call=call,
        organisation=org,
        contact_name=earlier.contact_name if earlier else "",
        office_phone=earlier.office_phone if earlier else "",
        mobile=earlier.mobile if earlier else "",
    )


@transaction.atomic
def save_contact(call, org, *, user, data: dict, client_ip=None) -> RecommenderFiling:
    filing = filing_for(call, org)
    filing.contact_name = data["contact_name"]
    filing.office_phone = data["office_phone"]
    filing.mobile = data["mobile"]
    filing.updated_by = user
    filing.save()
    audit.record(
        call,
        action="filing_contact",
        label="填写推荐报送联系人",
        user=user,
        comment=f"{org}：{filing.contact_name} {filing.office_phone} / {filing.mobile}",
        client_ip=client_ip,
    )
    return filing


def recommended_applications(call, org):
    """What the 推荐函 lists: the recommender's recommended service teams, in its order."""
    return (
        Application.objects.filter(call=call, recommender=org, state__in=RECOMMENDED_STATES)
        .select_related("unit")
        .order_by("recommender_rank", "submitted_at", "id")
    )


def recommended_assessments(call, org):
    return (
        Assessment.objects.filter(call=call, recommender=org, state__in=ASSESSED_STATES)
        .select_related("unit", "base")
        .order_by("submitted_at", "id")
    )


def letter_html(call: Call, org: Organisation) -> str:
    apps = list(recommended_applications(call, org))
    for app in apps:
        app.call = call
    assessments = list(recommended_assessments(call, org))
    for item in assessments:
        item.call = call
    return render_to_string(
        "pdf/letter.html",
        {
            "call": call,
            "organisation": org,
            "filing": filing_for(call, org),
            "applications": apps,
            "assessments": assessments,
        },
    )


def letter_pdf(call: Call, org: Organisation) -> bytes:
    return printing.render_html(letter_html(call, org))


def letter_filename(call: Call, org: Organisation) -> str:
    return f"00-推荐函-{org}.pdf".replace("/", "／")


def pending_paper(call, recommender) -> list:
    """The recommender's recommended items whose paper is not yet marked received: what a
    receipt for the recommender will mark."""
    return [
        *recommended_applications(call, recommender).filter(paper_received_on__isnull=True),
        *recommended_assessments(call, recommender).filter(paper_received_on__isnull=True),
    ]


def paper_token(items) -> str:
    """Which items a confirmation listed (kind and id): a receipt refuses a changed list."""
    return ",".join(sorted(f"{i.workflow_kind}-{i.pk}" for i in items))


@transaction.atomic
def record_paper(
    call, recommender, *, user, on: datetime.date, client_ip=None, seen: str | None = None
) -> int:
    """The bureau received a recommender's written materials on `on`: its filing and each
    recommended item not yet marked get the date. Returns how many items were marked.
    `seen` is the confirmation's list (paper_token): when the items to mark have changed
    since (an item recommended, withdrawn or marked meanwhile), nothing is recorded."""
    filing = filing_for(call, recommender)
    filing = RecommenderFiling.objects.select_for_update().get(pk=filing.pk)
    if seen is not None and seen != paper_token(pending_paper(call, recommender)):
        raise WorkflowError(
            f"{recommender} 待登记的项目在您打开确认页后有变化，请核对最新的名单后再登记。"
        )
    filing.paper_received_on, filing.paper_received_by = on, user
    filing.save()
    marked = 0
    for items in (
        recommended_applications(call, recommender),
        recommended_assessments(call, recommender),
    ):
        marked += items.filter(paper_received_on__isnull=True).update(
            paper_received_on=on, paper_received_by=user
        )
    audit.record(
        call,
        action="paper_received",
        label="登记书面材料已收到",
        user=user,
        comment=f"{recommender}：{on:%Y-%m-%d}，{marked} 个项目",
        client_ip=client_ip,
    )
    return marked


@transaction.atomic
def record_item_paper(
    item, *, user, on: datetime.date | None, client_ip=None, seen: str | None = None
) -> None:
    """One item's paper arrived on `on` (None: the mark is withdrawn). `seen` is the receipt
    date the confirmation showed ("" for none): a mark changed since is not overwritten."""
    current = (
        type(item)
        .objects.select_for_update()
        .filter(pk=item.pk)
        .values_list("paper_received_on", flat=True)
        .get()
    )
    if seen is not None and seen != (f"{current:%Y-%m-%d}" if current else ""):
        raise WorkflowError("本项目的书面材料登记在您打开确认页后已有变化，请刷新页面查看。")
    type(item).objects.filter(pk=item.pk).update(
        paper_received_on=on, paper_received_by=user if on else None
    )
    audit.record(
        item,
        action="paper_received",
        label="登记书面材料已收到" if on else "撤销书面材料登记",
        user=user,
        comment=f"{on:%Y-%m-%d}" if on else "",
        client_ip=client_ip,
        state=item.state,
    )


def overview(call: Call, organisations) -> list[dict]:
    """Per recommender (from queries.recommenders()): its contact, its recommended items and
    how many of them the bureau has marked received. Four queries, whatever the size."""
    filings = {f.organisation_id: f for f in RecommenderFiling.objects.filter(call=call)}
    counts: dict[int, dict] = {}
    for model, states in ((Application, RECOMMENDED_STATES), (Assessment, ASSESSED_STATES)):
        rows = (
            model.objects.filter(call=call, state__in=states)
            .values("recommender_id")
            .annotate(
                total=Count("id"), received=Count("id", filter=Q(paper_received_on__isnull=False))
            )
            .order_by()
        )
        for row in rows:
            entry = counts.setdefault(row["recommender_id"], {"total": 0, "received": 0})
            entry["total"] += row["total"]
            entry["received"] += row["received"]
    out = []
    for org in organisations:
        entry = counts.get(org.pk)
        filing = filings.get(org.pk)
        if entry is None and filing is None:
            continue
        out.append(
            {
                "recommender": org,
                "filing": filing,
                "total": entry["total"] if entry else 0,
                "received": entry["received"] if entry else 0,
            }
        )
    return out
