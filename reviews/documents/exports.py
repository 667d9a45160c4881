"""附件3 2026年专家服务基层项目一览表, written with openpyxl's write-only mode.

The rows stream from the database: applications, their experts and their places come from
three queries in the same order and are merged here, so 10,000 items cost the same five
queries as one and memory does not grow with the row count.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Iterator
from itertools import groupby

from django.db.models import F, QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from applications.choices import CATEGORY_LIST_LABELS, Category, Talent, TitleLevel
from applications.models import Expert, ServicePlace
from shanghai_experts import visibility
from shanghai_experts.models import Call
from shanghai_experts.states import State

#: The notice's 12 headers, in its order and with its punctuation.
HEADERS = (
    "序号",
    "推荐部门/区",
    "类别",
    "名称",
    "单位",
    "服务地点(如涉及国家乡村振兴重点帮扶县,请注明名称)",
    "领衔专家层次(职称、人才计划、荣誉等)、服务专家数量(注明本单位和外单位专家人数)",
    "服务内容简介(不超过200字)",
    "活动次数",
    "服务目标(达成的效果、产生的效益、解决的具体问题等)",
    "专业领域",
    "联系人姓名、电话",
)
NOTES = (
    "注：1. 类别：国家级服务团、市级服务团、服务基地评估；",
    "2. 本表由申报部门或区填写EXCEL表汇总后报市人力资源社会保障局。",
)
#: Column widths in characters, chosen so an A4 landscape page holds all 12 columns.
WIDTHS = (5, 10, 9, 18, 16, 20, 26, 30, 6, 26, 10, 15)
KEY_COUNTY = "国家乡村振兴重点帮扶县"
#: A spreadsheet reads a cell that starts with one of these as a formula.
FORMULA_LEADS = ("=", "+", "-", "@")

TALENT_LABELS = dict(Talent.choices)
TITLE_LABELS = dict(TitleLevel.choices)

#: The queue's order (recommender, then its rank), which the queue index serves.
RANK_ORDER = ("recommender_id", "recommender_rank", "-submitted_at", "id")


def title_for(call: Call, national: bool = False) -> str:
    if national:
        return f"{call.year}年上海市推荐人力资源社会保障部国家级专家服务团项目一览表"
    return f"{call.year}年专家服务基层项目一览表"


# --- what goes in each cell ----------------------------------------------------------------


def places_text(places: list[dict], app: dict) -> str:
    """服务地点, naming the national key counties (国家乡村振兴重点帮扶县) where listed."""
    parts = []
    for p in places:
        city = "" if p["city"] == p["province"] else p["city"]
        name = "".join(x for x in (p["province"], city, p["county"]) if x)
        parts.append(f"{name}（{KEY_COUNTY}）" if p["is_key_county"] else name)
    text = "；".join(parts)
    keys = [app[f] for f in ("cross_key_counties", "local_key_counties") if app[f]]
    if keys:
        text += f"{'；' if text else ''}对口帮扶{KEY_COUNTY}：{'、'.join(keys)}"
    return text


def experts_text(experts: list[dict]) -> str:
    """领衔专家层次 from the roster, and the count of own-unit and external experts."""
    leaders = []
    for e in experts:
        if not e["is_leader"]:
            continue
        honours = [
            e["talent_other"] if t == "other" else TALENT_LABELS.get(t, "")
            for t in e["talents"] or []
        ]
        level = "、".join(
            x for x in (e["title"] or TITLE_LABELS.get(e["title_level"], ""), *honours) if x
        )
        leaders.append(f"{e['name']}（{level}）" if level else e["name"])
    own = sum(1 for e in experts if e["affiliation"] == "own")
    external = len(experts) - own
    count = f"服务专家{len(experts)}人（本单位{own}人，外单位{external}人）"
    return f"领衔专家：{'；'.join(leaders)}。{count}" if leaders else count


#: The category a bureau decision puts a team in; a 不予入选 keeps the declared one.
DECIDED_CATEGORY = {
    State.NATIONAL_CANDIDATE: Category.NATIONAL,
    State.NATIONAL_TEAM: Category.NATIONAL,
    State.MUNICIPAL_TEAM: Category.MUNICIPAL,
}


def category_text(app: dict, *, decisions: bool) -> str:
    """类别 as the list prints it: the decision where there is one (an item declared 市级 that
    the bureau recommended and the Ministry approved is a 国家级服务团), else the declared
    category. `decisions` says whether the reader may see the bureau's undisclosed decision;
    otherwise only the published one counts (shanghai_experts.visibility)."""
    decided = app["state"] if decisions else app["published_state"]
    if decided not in visibility.DECISION_STATES:
        decided = ""
    category = DECIDED_CATEGORY.get(decided, app["category"])
    return CATEGORY_LIST_LABELS.get(category, "")


def contact_text(name: str, office: str, mobile: str) -> str:
    phones = " / ".join(p for p in (office, mobile) if p)
    return f"{name} {phones}".strip()


# --- the rows ---------------------------------------------------------------------------------

APP_FIELDS = (
    "id",
    "name",
    "category",
    "state",
    "published_state",
    "service_count",
    "summary",
    "service_goal",
    "professional_field",
    "contact_name",
    "office_phone",
    "mobile",
    "cross_key_counties",
    "local_key_counties",
)
EXPERT_FIELDS = (
    "application_id",
    "name",
    "title",
    "title_level",
    "talents",
    "talent_other",
    "affiliation",
    "is_leader",
)
PLACE_FIELDS = ("application_id", "province", "city", "county", "is_key_county")


def _related(model, apps: QuerySet, order, fields) -> Iterator[tuple[int, list[dict]]]:
    """Rows of `model` for `apps`, grouped by application, in the applications' order."""
    prefixed = [_prefix(o, "application__") for o in order]
    rows = (
        model.objects.filter(application__in=apps.values("pk"))
        .order_by(*prefixed, "position", "id")
        .values(*fields)
        .iterator(chunk_size=2000)
    )
    for app_id, group in groupby(rows, key=lambda r: r["application_id"]):
        yield app_id, list(group)


def _prefix(order, prefix: str):
    """An ORDER BY term of the application list, as seen from a related row."""
    if isinstance(order, str):
        desc = order.startswith("-")
        return f"{'-' if desc else ''}{prefix}{order.lstrip('-')}"
    expression = order.copy()
    expression.expression = F(f"{prefix}{order.expression.name}")
    return expression


def _merge(stream: Iterator[tuple[int, list[dict]]], app_id: int, state: dict) -> list[dict]:
    """The rows of `app_id` from a stream ordered like the applications (a merge join)."""
    head = state.get("head")
    if head is None:
        head = state["head"] = next(stream, (None, []))
    if head[0] == app_id:
        state["head"] = None
        return head[1]
    return []


def application_rows(apps: QuerySet, order=RANK_ORDER) -> Iterator[dict]:
    """One dict per application, with its experts and places, in `order`."""
    apps = apps.order_by(*order)
    labelled = apps.annotate(
        recommender_label=F("recommender__short_name"),
        recommender_name=F("recommender__name"),
        unit_name=F("unit__name"),
    )
    experts = _related(Expert, apps, order, EXPERT_FIELDS)
    places = _related(ServicePlace, apps, order, PLACE_FIELDS)
    expert_state, place_state = {}, {}
    for app in labelled.values(
        *APP_FIELDS, "recommender_label", "recommender_name", "unit_name"
    ).iterator(chunk_size=2000):
        yield {
            **app,
            "experts": _merge(experts, app["id"], expert_state),
            "places": _merge(places, app["id"], place_state),
        }


def assessment_rows(assessments: QuerySet) -> Iterator[dict]:
    return (
        assessments.order_by("recommender_id", "-submitted_at", "id")
        .annotate(
            base_name=F("base__name"),
            recommender_label=F("recommender__short_name"),
            recommender_name=F("recommender__name"),
            unit_name=F("unit__name"),
        )
        .values(
            "id",
            "base_name",
            "recommender_label",
            "recommender_name",
            "unit_name",
            "region",
            "industry",
            "own_experts",
            "external_experts",
            "activity_count",
            "list_summary",
            "list_goal",
            "contact_name",
            "office_phone",
            "mobile",
        )
        .iterator(chunk_size=2000)
    )


def cells_of_application(n: int, app: dict, *, decisions: bool = False) -> tuple:
    return (
        n,
        app["recommender_label"] or app["recommender_name"] or "",
        category_text(app, decisions=decisions),
        app["name"],
        app["unit_name"],
        places_text(app["places"], app),
        experts_text(app["experts"]),
        app["summary"],
        app["service_count"],
        app["service_goal"],
        app["professional_field"],
        contact_text(app["contact_name"], app["office_phone"], app["mobile"]),
    )


def cells_of_assessment(n: int, a: dict) -> tuple:
    own, external = a["own_experts"] or 0, a["external_experts"] or 0
    return (
        n,
        a["recommender_label"] or a["recommender_name"] or "",
        "服务基地评估",
        a["base_name"],
        a["unit_name"],
        a["region"],
        f"对口联系专家{own + external}人（本单位{own}人，外单位{external}人）",
        (a["list_summary"] or "").strip(),
        a["activity_count"],
        (a["list_goal"] or "").strip(),
        a["industry"],
        contact_text(a["contact_name"], a["office_phone"], a["mobile"]),
    )


def table_rows(
    call: Call,
    apps: QuerySet | None,
    assessments: QuerySet | None,
    order=RANK_ORDER,
    *,
    decisions: bool = False,
):
    """The 一览表's rows as tuples of 12 values, numbered 1…n: applications, then bases.
    `decisions`: the reader sees the bureau's decisions before they are published."""
    n = 0
    if apps is not None:
        for app in application_rows(apps, order):
            n += 1
            yield cells_of_application(n, app, decisions=decisions)
    if assessments is not None:
        for a in assessment_rows(assessments):
            n += 1
            yield cells_of_assessment(n, a)


# --- the workbook ---------------------------------------------------------------------------


@dataclasses.dataclass
class Styles:
    """Cell formats, each built once and copied onto cells by reference."""

    title: WriteOnlyCell
    header: WriteOnlyCell
    body: WriteOnlyCell
    note: WriteOnlyCell


def _template(ws, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


def _styles(ws) -> Styles:
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    return Styles(
        title=_template(
            ws,
            font=Font(name="宋体", size=16, bold=True),
            alignment=Alignment(horizontal="center", vertical="center"),
        ),
        header=_template(
            ws,
            font=Font(name="宋体", size=10, bold=True),
            alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"),
            border=box,
        ),
        body=_template(ws, font=Font(name="宋体", size=10), alignment=wrap_top, border=box),
        note=_template(ws, font=Font(name="宋体", size=10)),
    )


def styled(ws, template: WriteOnlyCell, value) -> WriteOnlyCell:
    """A cell with `template`'s format. Text stays text: `=1+1` is never a formula."""
    cell = WriteOnlyCell(ws)
    cell._style = template._style
    if isinstance(value, str):
        cell._value = value  # bypass the setter, which would take "=…" for a formula
        cell.data_type = "s"
        if value.startswith(FORMULA_LEADS):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    else:
        cell.value = value
    return cell


def write_workbook(call: Call, rows: Iterable[tuple], target, *, national: bool = False) -> int:
    """Write the 一览表 for `call` with `rows` into `target` (a path or a file); return the
    number of rows. The national list has its own title, the same columns and notes."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=f"{call.year}年一览表")
    styles = _styles(ws)
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(HEADERS))
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    ws.row_dimensions[1].height = 30
    ws.append([styled(ws, styles.title, title_for(call, national))])
    ws.merged_cells.add(f"A1:{last}1")
    ws.append([styled(ws, styles.header, h) for h in HEADERS])
    count = 0
    body = styles.body
    for row in rows:
        ws.append([styled(ws, body, value) for value in row])
        count += 1
    for offset, note in enumerate(NOTES, start=count + 3):
        ws.append([styled(ws, styles.note, note)])
        ws.merged_cells.add(f"A{offset}:{last}{offset}")
    wb.save(target)
    return count


def export(
    call: Call,
    apps: QuerySet | None,
    assessments: QuerySet | None,
    order=RANK_ORDER,
    *,
    national: bool = False,
    viewer=None,
):
    """The 一览表 in a temporary file (rewound, ready to stream) and its row count.

    类别 shows the decision the reader may see: the bureau (`viewer`, and the national list,
    which only the bureau exports) the decision as it stands, anyone else the published one.
    """
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    count = export_to(handle, call, apps, assessments, order, national=national, viewer=viewer)
    handle.seek(0)
    return handle, count


def export_to(
    target, call, apps, assessments, order=RANK_ORDER, *, national=False, viewer=None, each=None
) -> int:
    """The 一览表 written to `target` (see `export`); `each(n)` is told each row written."""
    decisions = national or visibility.list_sees_decisions(viewer)
    rows = table_rows(call, apps, assessments, order, decisions=decisions)
    if each is not None:
        rows = _told(rows, each)
    return write_workbook(call, rows, target, national=national)


def _told(rows, each):
    for n, row in enumerate(rows, start=1):
        each(n)
        yield row
