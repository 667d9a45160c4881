"""The rows of the recommender's queue and the bureau's list, built in Python.

Like the Django admin's change list (admin_list.items_for_result), a list that shows 50 rows
of a dozen cells on every request renders them here rather than through the template engine,
whose per-variable lookups cost more than the database does. Every value that comes from a
user is escaped, as a template would escape it.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from applications.choices import Talent, TitleLevel
from shanghai_experts.links import pk_url
from shanghai_experts.templatetags.ui import STATE_COLOURS, STATE_LABELS, minute
from shanghai_experts.visibility import shown_state

from ..workflow import bulk_applies

register = template.Library()

TITLE_LABELS = dict(TitleLevel.choices)
#: Short names of the honours, as a list column has room for them.
TALENT_LABELS = {
    Talent.ACADEMICIAN: "两院院士",
    Talent.MAJOR_PROGRAMME: "重大人才工程",
    Talent.SPECIAL_ALLOWANCE: "特贴",
}

#: 盖章件: the unit's stamped scan, as the item keeps its grade (StampedScanStatus).
SCAN_CELLS = {
    0: '<span class="text-muted small">无</span>',
    1: '<span class="badge text-bg-warning" title="校验码未核对或不一致">已上传</span>',
    2: '<span class="badge text-bg-success" title="与提交版本一致">一致</span>',
}


def _money(amount) -> str:
    return "" if amount is None else f'<span class="text-nowrap">{amount:.2f}</span>'


def leader_label(item) -> str:
    """领衔专家层次 in short: the first leader's title level and honours (正高级·两院院士), as
    submitted (Application.record_leader)."""
    level = TITLE_LABELS.get(getattr(item, "leader_title_level", ""), "")  # none on assessments
    talents = [TALENT_LABELS.get(t, "") for t in getattr(item, "leader_talents", None) or []]
    return "·".join(x for x in (level, *talents) if x)


def _row(item, organisation, bureau: bool, url) -> str:
    state = shown_state(item, organisation)
    name = escape(str(item))
    # A box only where this viewer's bulk actions apply (the transition table says where).
    selectable = bulk_applies(item, organisation)
    checkbox = (
        f'<input class="form-check-input" type="checkbox" name="{item.selection_name}" '
        f'value="{item.pk}" aria-label="选择 {name}">'
        if selectable
        else ""
    )
    rank = "" if item.recommender_rank is None else item.recommender_rank
    cells = [
        checkbox,
        f'<span class="text-nowrap">{item.reference}</span>',
        f'<a href="{url(item.pk)}">{name}</a>',
        escape(item.unit_label or ""),
        escape(item.category_label or "—"),
        escape(item.service_field or ""),
    ]
    if bureau:
        cells.append(escape(item.recommender_label or ""))
    cells.append(str(rank))
    if bureau:
        scored = getattr(item, "score_count", 0)  # assessments are not scored
        spread = getattr(item, "score_spread", None)
        mean = getattr(item, "score_mean", None)
        if scored and mean is not None:
            mean_cell = f'{mean}<span class="text-muted small">（{scored}人）</span>'
        elif scored:
            mean_cell = f'<span class="text-muted small">评审中（{scored}人已交）</span>'
        else:
            mean_cell = ""
        threshold = getattr(getattr(item, "call", None), "spread_threshold", None)
        flag = (
            ' <span class="badge text-bg-danger">分歧大</span>'
            if spread is not None and threshold is not None and spread > threshold
            else ""
        )
        cells += [
            mean_cell,
            "" if spread is None else f"{spread}{flag}",
            '<span class="badge text-bg-warning">优先支持</span>'
            if getattr(item, "priority", False)
            else "",
            _money(getattr(item, "requested_amount", None)),
            _money(getattr(item, "funding_granted", None)),
            escape(leader_label(item)),
        ]
    level = item.applicant_scan
    paper = getattr(item, "paper_received_on", None)
    cells += [
        SCAN_CELLS.get(level, ""),
        f'<span class="text-nowrap small" title="书面材料已收到">{paper:%m-%d}</span>'
        if paper
        else "",
    ]
    overdue = (
        ' <span class="badge text-bg-danger">整改逾期</span>'
        if getattr(item, "is_rectification_overdue", False)
        else ""
    )
    cells += [
        f'<span class="badge text-bg-{STATE_COLOURS.get(state, "secondary")} state-badge" '
        f'data-testid="state">{escape(STATE_LABELS.get(state, state))}</span>{overdue}',
        f'<span class="text-nowrap">{minute(item.submitted_at)}</span>',
    ]
    # On a phone the name keeps a readable width and the state stays in view (static css).
    classes = {2: ' class="col-name"', len(cells) - 2: ' class="col-state"'}
    return (
        "<tr>"
        + "".join(f"<td{classes.get(i, '')}>{cell}</td>" for i, cell in enumerate(cells))
        + "</tr>"
    )


@register.simple_tag
def queue_rows(items, organisation):
    """<tr> rows for `items` as `organisation` sees them (the bureau sees more columns)."""
    items = list(items)
    if not items:
        return ""
    url = pk_url(items[0].detail_url_name)  # one kind of item a table
    bureau = organisation.is_bureau
    return mark_safe("\n".join(_row(i, organisation, bureau, url) for i in items))
