"""The columns of the project lists (the recommender's 待审项目, the bureau's 全市申报), declared
once: header, cell, sort, who sees it, whether it shows before the user chooses, whether it
can be hidden. The list's header row and its rows are both rendered from this table
(reviews.templatetags.queue_rows), so the column order lives here alone.

Who sees a column: a column that shows a score, a reviewer, a rank, a decision or the funding
names its `aspect`, and is on the list only if the visibility matrix lets the reader see that
aspect on every row (shanghai_experts.visibility.may_see_in_list). A column the bureau's work
needs and a recommender's list has no use for (推荐单位 on a list of its own items, 优先支持,
申请经费, 领衔专家) is `bureau_list`: on the bureau's list only, though nothing in it is kept
from the recommender (the item page shows it).

The bureau's list has 18 columns; all of them made it 1,548 px wide, so at 1366 px 状态 and
提交时间 were off screen. Its default set fits a 1366 px screen (tests/browser/test_layout.py);
each user may show further columns or hide optional ones, and the choice is kept on the user
(User.list_columns).

Like the Django admin's change list (admin_list.items_for_result), a list that shows 50 rows of
a dozen cells on every request builds them in Python rather than through the template engine,
whose per-variable lookups cost more than the database does. Every value that comes from a
user is escaped, as a template would escape it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from django.db import transaction

from applications.choices import Talent, TitleLevel
from shanghai_experts import visibility
from shanghai_experts.links import pk_url
from shanghai_experts.models import User
from shanghai_experts.templatetags.ui import STATE_COLOURS, STATE_LABELS, minute

from .engine.workflow import bulk_applies

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


@dataclass(frozen=True)
class Reader:
    """What every row of one list page shares: who reads it, and its rows' link."""

    organisation: object
    #: The item page's URL for a pk (one kind of item a table).
    url: Callable[[int], str]
    #: Whether the rows show the bureau's decisions before they are announced.
    sees_decisions: bool

    @classmethod
    def of(cls, organisation, items: list) -> Reader:
        return cls(
            organisation,
            pk_url(items[0].detail_url_name),
            visibility.list_sees_decisions(organisation),
        )


# --- the cells: each gives its column's HTML for one item ------------------------------------


def _money(amount) -> str:
    return "" if amount is None else f'<span class="text-nowrap">{amount:.2f}</span>'


def leader_label(item) -> str:
    """领衔专家层次 in short: the first leader's title level and honours (正高级·两院院士), as
    submitted (Application.record_leader)."""
    level = TITLE_LABELS.get(getattr(item, "leader_title_level", ""), "")  # none on assessments
    talents = [TALENT_LABELS.get(t, "") for t in getattr(item, "leader_talents", None) or []]
    return "·".join(x for x in (level, *talents) if x)


def _select(item, reader: Reader) -> str:
    # A box only where this viewer's bulk actions apply (the transition table says where).
    if not bulk_applies(item, reader.organisation):
        return ""
    return (
        f'<input class="form-check-input" type="checkbox" name="{item.selection_name}" '
        f'value="{item.pk}" aria-label="选择 {escape(str(item))}">'
    )


def _mean(item, reader: Reader) -> str:
    scored = getattr(item, "score_count", 0)  # assessments are not scored
    mean = getattr(item, "score_mean", None)
    if scored and mean is not None:
        return f'{mean}<span class="text-muted small">（{scored}人）</span>'
    if scored:
        return f'<span class="text-muted small">评审中（{scored}人已交）</span>'
    return ""


def _spread(item, reader: Reader) -> str:
    spread = getattr(item, "score_spread", None)
    if spread is None:
        return ""
    threshold = getattr(getattr(item, "call", None), "spread_threshold", None)
    if threshold is not None and spread > threshold:
        return f'{spread} <span class="badge text-bg-danger">分歧大</span>'
    return f"{spread}"


def _paper(item, reader: Reader) -> str:
    paper = getattr(item, "paper_received_on", None)
    if not paper:
        return ""
    return f'<span class="text-nowrap small" title="书面材料已收到">{paper:%m-%d}</span>'


def _state(item, reader: Reader) -> str:
    state = visibility.state_as_seen(
        item.state,
        getattr(item, "published_state", ""),
        sees_decision=reader.sees_decisions,
        decided_by_bureau=item.item_kind.decided_by_bureau,
    )
    overdue = (
        ' <span class="badge text-bg-danger">整改逾期</span>'
        if getattr(item, "is_rectification_overdue", False)
        else ""
    )
    return (
        f'<span class="badge text-bg-{STATE_COLOURS.get(state, "secondary")} state-badge" '
        f'data-testid="state">{escape(STATE_LABELS.get(state, state))}</span>{overdue}'
    )


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    #: The cell's HTML for one item, as `reader` sees it.
    cell: Callable[[object, Reader], str]
    title: str = ""  # the header's tooltip
    #: The header on the 服务基地评估 tab, where it differs.
    assessment_header: str = ""
    #: The visibility matrix's aspect the cell shows (scores, rank, funding…): the column is
    #: on a list only when its reader sees that aspect on every row.
    aspect: str = ""
    #: On the bureau's list only: a working column a recommender's list has no use for.
    bureau_list: bool = False
    #: Always shown: what identifies a row and where it stands.
    fixed: bool = False
    #: Shown to the bureau until its user chooses (recommenders' lists are narrow enough to
    #: show every column they have).
    bureau_default: bool = True
    css: str = ""
    #: The list's sort (QueueFilter's `sort` value) that orders the rows by this column.
    sort: str = ""
    #: The fields its cell reads besides those every list loads (queries.QUEUE_FIELDS).
    loads: tuple[str, ...] = ()

    def header_for(self, showing: str) -> str:
        return (
            self.assessment_header
            if showing == "assessment" and self.assessment_header
            else self.header
        )

    def is_available_to(self, organisation) -> bool:
        """Whether this column is on `organisation`'s list at all."""
        return self.is_on_list_of(visibility.list_role(organisation))

    def is_on_list_of(self, role: str) -> bool:
        """Whether this column is on the lists of `role` (shanghai_experts.visibility)."""
        if self.bureau_list and role != visibility.BUREAU:
            return False
        return not self.aspect or visibility.role_sees(role, self.aspect)


COLUMNS = (
    Column("select", "选择", _select, fixed=True),
    Column(
        "reference",
        "编号",
        lambda item, _: f'<span class="text-nowrap">{item.reference}</span>',
        fixed=True,
    ),
    Column(
        "name",
        "名称",
        lambda item, reader: f'<a href="{reader.url(item.pk)}">{escape(str(item))}</a>',
        fixed=True,
        css="col-name",
        sort="name",
    ),
    Column(
        "unit",
        "申报单位",
        lambda item, _: escape(item.unit_label or ""),
        assessment_header="依托单位",
    ),
    Column("category", "类别", lambda item, _: escape(item.category_label or "—")),
    Column(
        "field",
        "服务领域",
        lambda item, _: escape(item.service_field or ""),
        assessment_header="所属行业领域",
        bureau_default=False,
    ),
    Column(
        "recommender",
        "推荐单位",
        lambda item, _: escape(item.recommender_label or ""),
        bureau_list=True,
    ),
    Column(
        "rank",
        "排序",
        lambda item, _: "" if item.recommender_rank is None else str(item.recommender_rank),
        title="推荐单位给出的推荐排序",
        aspect="rank",
        bureau_default=False,
    ),
    Column(
        "mean",
        "均分",
        _mean,
        title="评审人加权得分的平均值（百分制）",
        aspect="scores",
        sort="-score_mean",
    ),
    Column(
        "spread",
        "极差",
        _spread,
        title="最高与最低加权得分之差",
        aspect="scores",
        sort="-score_spread",
    ),
    Column(
        "priority",
        "优先",
        lambda item, _: (
            '<span class="badge text-bg-warning">优先支持</span>'
            if getattr(item, "priority", False)
            else ""
        ),
        title="依托基地上一年度获通报表扬",
        bureau_list=True,
        sort="priority",
    ),
    Column(
        "requested",
        "申请经费",
        lambda item, _: _money(getattr(item, "requested_amount", None)),
        title="万元",
        bureau_list=True,
        loads=("requested_amount",),
    ),
    Column(
        "granted",
        "资助经费",
        lambda item, _: _money(getattr(item, "funding_granted", None)),
        title="万元",
        aspect="funding",
        bureau_default=False,
        loads=("funding_granted",),
    ),
    Column(
        "leader",
        "领衔专家",
        lambda item, _: escape(leader_label(item)),
        title="第一位领衔专家的职称层级与人才计划",
        bureau_list=True,
        bureau_default=False,
        loads=("leader_title_level", "leader_talents"),
    ),
    Column(
        "scan",
        "盖章件",
        lambda item, _: SCAN_CELLS.get(item.applicant_scan, ""),
        title="申报单位上传的盖章扫描件",
    ),
    Column(
        "paper",
        "书面材料",
        _paper,
        title="市人社局收到书面材料的日期",
        bureau_default=False,
    ),
    Column(
        "submitted",
        "提交时间",
        lambda item, _: f'<span class="text-nowrap">{minute(item.submitted_at)}</span>',
        fixed=True,
        sort="-submitted_at",
    ),
    # Last, so that on a phone, where it stays in view at the right edge, it covers no column
    # when the table is scrolled to its end.
    Column("state", "状态", _state, fixed=True, css="col-state"),
)

BY_KEY = {c.key: c for c in COLUMNS}


def available(organisation) -> list[Column]:
    """Every column this organisation's list has."""
    return [c for c in COLUMNS if c.is_available_to(organisation)]


def loaded_fields(organisation) -> list[str]:
    """The fields the columns of `organisation`'s list read besides every list's own (those it
    may show, chosen or not: the choice changes no query)."""
    return [field for c in available(organisation) for field in c.loads]


def hidden_sorts(role: str) -> frozenset[str]:
    """The sorts of the columns the lists of `role` lack: their filter does not offer them
    (sorting by a score the reader may not see would reveal it)."""
    return frozenset(c.sort for c in COLUMNS if c.sort and not c.is_on_list_of(role))


def choosable(organisation) -> list[Column]:
    """The columns a user of this organisation may show or hide."""
    return [c for c in available(organisation) if not c.fixed]


def is_shown(column: Column, user, organisation) -> bool:
    if column.fixed:
        return True
    chosen = user.list_columns
    if chosen is None:
        # A recommender's list is narrow enough to show every column it has.
        return column.bureau_default or visibility.list_role(organisation) != visibility.BUREAU
    return column.key in chosen


def shown(user, organisation) -> list[Column]:
    """The columns `user` sees, in the list's order."""
    return [c for c in available(organisation) if is_shown(c, user, organisation)]


def choose(user, organisation, keys) -> list[str]:
    """Keep the optional columns `user` wants to see (unknown or fixed keys are ignored);
    `keys` None goes back to the default set. Returns what was stored."""
    allowed = {c.key for c in choosable(organisation)}
    chosen = (
        None if keys is None else [c.key for c in COLUMNS if c.key in allowed and c.key in keys]
    )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(list_columns=chosen)
    user.list_columns = chosen
    return chosen


def head(columns, showing: str) -> str:
    """The list's header row, from the same table as its rows."""
    heads = []
    for c in columns:
        text = escape(c.header_for(showing))
        if c.key == "select":
            text = f'<span class="visually-hidden">{text}</span>'
        attrs = f' class="{c.css}"' if c.css else ""
        attrs += f' title="{escape(c.title)}"' if c.title else ""
        heads.append(f'<th scope="col" data-column="{c.key}"{attrs}>{text}</th>')
    return "<tr>" + "".join(heads) + "</tr>"


def rows(items, organisation, columns) -> str:
    """<tr> rows for `items` as `organisation` sees them, in `columns`."""
    items = list(items)
    if not items:
        return ""
    reader = Reader.of(organisation, items)
    # Each cell's function and class taken once a page, not once a row.
    cells = [(c.cell, f'<td class="{c.css}">' if c.css else "<td>") for c in columns]
    # On a phone the name keeps a readable width and the state stays in view (static css).
    return "\n".join(
        "<tr>" + "".join(f"{open_}{cell(item, reader)}</td>" for cell, open_ in cells) + "</tr>"
        for item in items
    )
