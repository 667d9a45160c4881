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

from .. import columns
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


def _cells(item, organisation, bureau: bool, url) -> dict[str, str]:
    """Every cell of the row by column key (reviews.columns); the list keeps those shown."""
    state = shown_state(item, organisation)
    name = escape(str(item))
    # A box only where this viewer's bulk actions apply (the transition table says where).
    selectable = bulk_applies(item, organisation)
    cells = {
        "select": f'<input class="form-check-input" type="checkbox" name="{item.selection_name}" '
        f'value="{item.pk}" aria-label="选择 {name}">'
        if selectable
        else "",
        "reference": f'<span class="text-nowrap">{item.reference}</span>',
        "name": f'<a href="{url(item.pk)}">{name}</a>',
        "unit": escape(item.unit_label or ""),
        "category": escape(item.category_label or "—"),
        "field": escape(item.service_field or ""),
        "rank": "" if item.recommender_rank is None else str(item.recommender_rank),
    }
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
        cells |= {
            "recommender": escape(item.recommender_label or ""),
            "mean": mean_cell,
            "spread": "" if spread is None else f"{spread}{flag}",
            "priority": '<span class="badge text-bg-warning">优先支持</span>'
            if getattr(item, "priority", False)
            else "",
            "requested": _money(getattr(item, "requested_amount", None)),
            "granted": _money(getattr(item, "funding_granted", None)),
            "leader": escape(leader_label(item)),
        }
    paper = getattr(item, "paper_received_on", None)
    overdue = (
        ' <span class="badge text-bg-danger">整改逾期</span>'
        if getattr(item, "is_rectification_overdue", False)
        else ""
    )
    cells |= {
        "scan": SCAN_CELLS.get(item.applicant_scan, ""),
        "paper": f'<span class="text-nowrap small" title="书面材料已收到">{paper:%m-%d}</span>'
        if paper
        else "",
        "submitted": f'<span class="text-nowrap">{minute(item.submitted_at)}</span>',
        "state": f'<span class="badge text-bg-{STATE_COLOURS.get(state, "secondary")} state-badge" '
        f'data-testid="state">{escape(STATE_LABELS.get(state, state))}</span>{overdue}',
    }
    return cells


def _row(item, organisation, bureau: bool, url, columns) -> str:
    cells = _cells(item, organisation, bureau, url)
    # On a phone the name keeps a readable width and the state stays in view (static css).
    return (
        "<tr>"
        + "".join(
            f'<td class="{c.css}">{cells[c.key]}</td>' if c.css else f"<td>{cells[c.key]}</td>"
            for c in columns
        )
        + "</tr>"
    )


@register.simple_tag
def queue_head(columns, showing):
    """The list's header row, from the same column table as its rows."""
    heads = []
    for c in columns:
        text = escape(c.header_for(showing))
        if c.key == "select":
            text = f'<span class="visually-hidden">{text}</span>'
        attrs = f' class="{c.css}"' if c.css else ""
        attrs += f' title="{escape(c.title)}"' if c.title else ""
        heads.append(f'<th scope="col" data-column="{c.key}"{attrs}>{text}</th>')
    return mark_safe("<tr>" + "".join(heads) + "</tr>")


@register.simple_tag
def queue_rows(items, organisation, columns):
    """<tr> rows for `items` as `organisation` sees them, in the shown `columns`
    (reviews.columns; the bureau sees more)."""
    items = list(items)
    if not items:
        return ""
    url = pk_url(items[0].detail_url_name)  # one kind of item a table
    bureau = organisation.is_bureau
    return mark_safe("\n".join(_row(i, organisation, bureau, url, columns) for i in items))


@register.simple_tag(takes_context=True)
def list_columns(context, organisation):
    """The columns the viewing user sees on this organisation's list (reviews.columns)."""
    return columns.shown(context["user"], organisation)


@register.simple_tag(takes_context=True)
def column_choices(context, organisation):
    """(column, shown) for each column the user may show or hide, for the 显示列 form."""
    user = context["user"]
    return [(c, columns.is_shown(c, user, organisation)) for c in columns.choosable(organisation)]
